extension PickleParser {
    /// What the pickle machine's stack and memo hold.
    ///
    /// Finished immutable values are plain ``PickleValue``s. Lists, dicts and sets are ``Node``s,
    /// shared by reference between the stack and the memo while opcodes fill them, as Python
    /// objects are; so is a tuple that holds one of them. A global is only ever called by REDUCE.
    enum Item {
        case value(PickleValue, Metrics)
        case node(Node)
        case callable(AllowedCallable)

        var typeName: String {
            switch self {
            case .value(let value, _): value.typeName
            case .node(let node): node.kind.typeName
            case .callable(let callable): "global \(callable.qualifiedName)"
            }
        }
    }

    /// How deep and how large a value is, counting shared references every time they occur.
    struct Metrics {
        /// Levels of containers: 0 for a scalar, 1 for `[]`, 2 for `[[]]`.
        var depth: Int
        /// Values plus bytes of strings, bytes and big ints: the work of walking or hashing the value.
        var size: Int
        /// Whether Python could hash the value (no list, dict, set or bytearray inside).
        var isHashable: Bool

        static func scalar(bytes: Int = 0, hashable: Bool = true) -> Metrics {
            Metrics(depth: 0, size: 1 + bytes, isHashable: hashable)
        }

        /// Measures a value that the parser did not build (elements of a set passed to REDUCE).
        static func of(_ value: PickleValue) -> Metrics {
            switch value {
            case .string(let text): return .scalar(bytes: text.utf8.count)
            case .bytes(let bytes): return .scalar(bytes: bytes.count)
            case .bytearray(let bytes): return .scalar(bytes: bytes.count, hashable: false)
            case .bigInt(let value): return .scalar(bytes: value.twosComplementBytes.count)
            case .none, .bool, .int, .float: return .scalar()
            case .tuple(let items):
                let children = items.map(Self.of)
                return Self.container(children, hashable: children.allSatisfy(\.isHashable))
            case .frozenset(let items):
                return Self.container(items.map(Self.of), hashable: true)
            case .list(let items), .set(let items):
                return Self.container(items.map(Self.of), hashable: false)
            case .dict(let entries):
                return Self.container(entries.flatMap { [Self.of($0.key), Self.of($0.value)] }, hashable: false)
            }
        }

        static func container(_ children: [Metrics], hashable: Bool) -> Metrics {
            var metrics = Metrics(depth: 1, size: 1, isHashable: hashable)
            for child in children {
                metrics.depth = max(metrics.depth, child.depth + 1)
                metrics.size = metrics.size.addingSaturating(child.size)
            }
            return metrics
        }
    }

    /// A list, dict or set being filled, or a tuple that holds one: a Python object with identity.
    ///
    /// A node is sealed once it is put into another container; changing it after that (which only
    /// a recursive structure or a hand-made pickle does) is refused, so that the values built from
    /// nodes are exactly what Python would see, and depths and sizes never change behind a parent.
    final class Node {
        enum Kind {
            case list, tuple, dict, set

            var typeName: String {
                switch self {
                case .list: "list"
                case .tuple: "tuple"
                case .dict: "dict"
                case .set: "set"
                }
            }
        }

        let kind: Kind
        /// List and tuple items; dict values, in the order of ``keys``.
        var items: [Item] = []
        /// Dict keys and set elements.
        var keys: [PickleValue] = []
        /// Where each key sits in ``keys``, to replace a dict's value or skip a set's duplicate.
        var positions: [PickleValue: Int] = [:]
        var isSealed = false
        var depth = 1
        var size = 1

        init(_ kind: Kind) {
            self.kind = kind
        }
    }
}

extension Int {
    func addingSaturating(_ other: Int) -> Int {
        let (sum, overflow) = self.addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
