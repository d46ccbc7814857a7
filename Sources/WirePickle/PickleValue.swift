/// A value that a pickle carries: Python's built-in data types, without classes or functions.
///
/// ```swift
/// let value: PickleValue = [1: "hi", 2: "there"]  // pickle.dumps({1: "hi", 2: "there"})
/// value.pythonRepr                                 // "{1: 'hi', 2: 'there'}"
/// ```
///
/// Equality and hashing follow the structure, not Python's numeric tower: `.bool(true)` differs from
/// `.int(1)`, and floats compare by bit pattern (so `nan` equals the same `nan` and `0.0` differs
/// from `-0.0`). Dicts compare as Python compares them (order does not matter), and so do sets.
/// An integer compares equal whether it is held as ``int(_:)`` or as a ``bigInt(_:)`` that fits `Int`.
public enum PickleValue: Sendable {
    /// Python's `None`.
    case none
    /// `True` or `False`.
    case bool(Bool)
    /// An `int` that fits in `Int`.
    case int(Int)
    /// An `int` of any size; the decoder uses it only for values that do not fit `Int`.
    case bigInt(PickleBigInt)
    /// A `float`.
    case float(Double)
    /// A `str`.
    case string(String)
    /// A `bytes` object.
    case bytes([UInt8])
    /// A `bytearray`.
    case bytearray([UInt8])
    /// A `list`.
    case list([PickleValue])
    /// A `tuple`.
    case tuple([PickleValue])
    /// A `dict`, in insertion order; keys are hashable values such as ints, strings and tuples.
    case dict([(key: PickleValue, value: PickleValue)])
    /// A `set`, in the order the pickle listed its elements.
    case set([PickleValue])
    /// A `frozenset`, in the order the pickle listed its elements.
    case frozenset([PickleValue])

    /// An integer of any size: ``int(_:)`` when it fits `Int`, ``bigInt(_:)`` otherwise.
    public static func integer(_ value: PickleBigInt) -> PickleValue {
        if let small = value.intValue {
            return .int(small)
        }
        return .bigInt(value)
    }

    /// The name of the Python type, as `type(value).__name__` prints it.
    public var typeName: String {
        switch self {
        case .none: "NoneType"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .bytearray: "bytearray"
        case .list: "list"
        case .tuple: "tuple"
        case .dict: "dict"
        case .set: "set"
        case .frozenset: "frozenset"
        }
    }

    /// Whether Python can hash the value, so that it can be a dict key or a set element:
    /// lists, dicts, sets and bytearrays cannot, nor can a tuple holding one of them.
    public var isHashable: Bool {
        switch self {
        case .list, .dict, .set, .bytearray: false
        case .tuple(let items): items.allSatisfy(\.isHashable)
        default: true
        }
    }

    /// The integer as a ``PickleBigInt``, for ``int(_:)`` and ``bigInt(_:)``.
    var bigIntegerValue: PickleBigInt? {
        switch self {
        case .int(let value): PickleBigInt(value)
        case .bigInt(let value): value
        default: nil
        }
    }
}

extension PickleValue: Hashable {
    public static func == (lhs: PickleValue, rhs: PickleValue) -> Bool {
        switch (lhs, rhs) {
        case (.none, .none): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.int, .bigInt), (.bigInt, .int), (.bigInt, .bigInt):
            return lhs.bigIntegerValue == rhs.bigIntegerValue
        case (.float(let a), .float(let b)): return a.bitPattern == b.bitPattern
        case (.string(let a), .string(let b)): return a == b
        case (.bytes(let a), .bytes(let b)): return a == b
        case (.bytearray(let a), .bytearray(let b)): return a == b
        case (.list(let a), .list(let b)): return a == b
        case (.tuple(let a), .tuple(let b)): return a == b
        // No ordered comparison first: trying two ways at every level of nesting takes 2^depth.
        case (.dict(let a), .dict(let b)): return Self.lastValues(a) == Self.lastValues(b)
        case (.set(let a), .set(let b)), (.frozenset(let a), .frozenset(let b)):
            return Swift.Set(a) == Swift.Set(b)
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .none:
            hasher.combine(0)
        case .bool(let value):
            hasher.combine(1)
            hasher.combine(value)
        case .int(let value):
            hasher.combine(2)
            hasher.combine(value)
        case .bigInt(let value):
            hasher.combine(2)
            if let small = value.intValue {
                hasher.combine(small)
            } else {
                hasher.combine(value.twosComplementBytes)
            }
        case .float(let value):
            hasher.combine(3)
            hasher.combine(value.bitPattern)
        case .string(let value):
            hasher.combine(4)
            hasher.combine(value)
        case .bytes(let value):
            hasher.combine(5)
            hasher.combine(value)
        case .bytearray(let value):
            hasher.combine(6)
            hasher.combine(value)
        case .list(let items):
            hasher.combine(7)
            hasher.combine(items)
        case .tuple(let items):
            hasher.combine(8)
            hasher.combine(items)
        case .dict(let entries):
            // Order does not matter: combine the entries' hashes commutatively.
            hasher.combine(9)
            var sum = 0
            for (key, value) in Self.lastValues(entries) {
                var entryHasher = Hasher()
                entryHasher.combine(key)
                entryHasher.combine(value)
                sum &+= entryHasher.finalize()
            }
            hasher.combine(sum)
        case .set(let elements):
            hasher.combine(10)
            hasher.combine(Self.unorderedHash(elements))
        case .frozenset(let elements):
            hasher.combine(11)
            hasher.combine(Self.unorderedHash(elements))
        }
    }

    /// A hash of the distinct elements that does not depend on their order. Each element is
    /// hashed once: hashing them again to remove duplicates would double the work at every level
    /// of nested frozensets.
    private static func unorderedHash(_ elements: [PickleValue]) -> Int {
        var sum = 0
        var previous: Int?
        for hash in elements.map(\.hashValue).sorted() where hash != previous {
            sum &+= hash
            previous = hash
        }
        return sum
    }

    /// The dict as Python's `dict` sees it: for a key listed twice, the last value counts, as in a
    /// dict display.
    private static func lastValues(_ entries: [(key: PickleValue, value: PickleValue)]) -> [PickleValue: PickleValue] {
        Dictionary(entries, uniquingKeysWith: { _, last in last })
    }
}

extension PickleValue: ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// `True` or `False`.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }

    /// An `int`.
    public init(integerLiteral value: Int) {
        self = .int(value)
    }

    /// A `float`.
    public init(floatLiteral value: Double) {
        self = .float(value)
    }

    /// A `str`.
    public init(stringLiteral value: String) {
        self = .string(value)
    }

    /// A `list`.
    public init(arrayLiteral elements: PickleValue...) {
        self = .list(elements)
    }

    /// A `dict`, in the order written.
    public init(dictionaryLiteral elements: (PickleValue, PickleValue)...) {
        self = .dict(elements.map { (key: $0.0, value: $0.1) })
    }
}
