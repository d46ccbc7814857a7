extension PickleParser {
    /// The only globals a pickle may name: those CPython writes for bytes (protocols 0 to 2),
    /// sets and frozensets (0 to 3) and bytearrays (0 to 4). Calling one builds that type from
    /// the arguments CPython gives it, and nothing else runs.
    enum AllowedCallable: Hashable {
        case codecsEncode, bytes, bytearray, set, frozenset, reconstructor

        var qualifiedName: String {
            switch self {
            case .codecsEncode: "_codecs.encode"
            case .bytes: "builtins.bytes"
            case .bytearray: "builtins.bytearray"
            case .set: "builtins.set"
            case .frozenset: "builtins.frozenset"
            case .reconstructor: "copyreg._reconstructor"
            }
        }
    }

    /// Resolves `module.name` as `pickle.Unpickler.find_class` would, refusing anything not allowed.
    /// Below protocol 3, Python 2 module names are mapped first (`__builtin__` to `builtins`).
    func resolveGlobal(module: String, name: String) throws -> AllowedCallable {
        var python3Module = module
        if self.protocolVersion < 3 {
            python3Module = ["__builtin__": "builtins", "copy_reg": "copyreg"][module] ?? module
        }
        switch (python3Module, name) {
        case ("_codecs", "encode"): return .codecsEncode
        case ("builtins", "bytes"): return .bytes
        case ("builtins", "bytearray"): return .bytearray
        case ("builtins", "set"): return .set
        case ("builtins", "frozenset"): return .frozenset
        case ("copyreg", "_reconstructor"): return .reconstructor
        default: throw PickleError.refusedGlobal(module: module, name: name)
        }
    }

    /// REDUCE: calls an allowed global with an argument tuple.
    mutating func call(_ function: Item, with arguments: Item) throws -> Item {
        guard case .callable(let callable) = function else {
            throw PickleError.refusedCall("REDUCE (0x52) calling a value of type \(function.typeName)")
        }
        let items: [Item]
        switch arguments {
        case .value(.tuple(let values), let metrics):
            // Measuring the arguments again costs their size: account for it, as for hashing.
            try self.chargeHashing(metrics.size)
            items = values.map { .value($0, Metrics.of($0)) }
        case .node(let node) where node.kind == .tuple:
            items = node.items
        default:
            throw PickleError.wrongOperand(
                .reduce,
                at: self.opcodeOffset,
                expected: "an argument tuple",
                found: arguments.typeName
            )
        }
        return try self.call(callable, items)
    }

    private mutating func call(_ callable: AllowedCallable, _ arguments: [Item]) throws -> Item {
        let refused = PickleError.refusedCall("\(callable.qualifiedName) with arguments other than CPython's")
        switch (callable, arguments.count) {
        case (.codecsEncode, 2):
            // `_codecs.encode(text, 'latin1')`: how protocols 0 to 2 carry bytes.
            guard case .value(.string(let text), _) = arguments[0], case .value(.string(let encoding), _) = arguments[1]
            else { throw refused }
            guard ["latin1", "latin-1", "iso-8859-1"].contains(encoding.lowercased()) else {
                throw PickleError.refusedCall("_codecs.encode with encoding '\(encoding)'")
            }
            return .value(.bytes(try self.latin1(text)), .scalar(bytes: text.utf8.count))
        case (.bytes, 0):
            return .value(.bytes([]), .scalar())
        case (.bytearray, 0):
            return .value(.bytearray([]), .scalar(hashable: false))
        case (.bytearray, 1):
            switch arguments[0] {
            case .value(.bytes(let bytes), _), .value(.bytearray(let bytes), _):
                return .value(.bytearray(bytes), .scalar(bytes: bytes.count, hashable: false))
            default:
                throw refused
            }
        case (.bytearray, 2):
            // `bytearray(text, 'latin-1')`, as a bytearray reduces itself below protocol 3.
            guard case .value(.string(let text), _) = arguments[0],
                case .value(.string(let encoding), _) = arguments[1],
                ["latin1", "latin-1", "iso-8859-1"].contains(encoding.lowercased())
            else { throw refused }
            return .value(.bytearray(try self.latin1(text)), .scalar(bytes: text.utf8.count, hashable: false))
        case (.set, 0):
            return .node(Node(.set))
        case (.set, 1):
            let set = Node(.set)
            try self.addElements(try self.elements(of: arguments[0]), to: set, .reduce)
            return .node(set)
        case (.frozenset, 0):
            return .value(.frozenset([]), .container([], hashable: true))
        case (.frozenset, 1):
            return try self.frozenset(of: try self.elements(of: arguments[0]), .reduce)
        case (.reconstructor, 3):
            // `copyreg._reconstructor(cls, base, state)` is `base.__new__(cls, state)` then
            // `base.__init__(obj, state)`: for these builtins, just `cls(state)`.
            guard case .callable(let type) = arguments[0], case .callable(let base) = arguments[1], type == base,
                [.set, .frozenset, .bytearray].contains(type)
            else {
                throw PickleError.refusedCall("copyreg._reconstructor for anything but a set, frozenset or bytearray")
            }
            return try self.call(type, [arguments[2]])
        default:
            throw refused
        }
    }

    /// The items of the iterable passed to `set(...)` or `frozenset(...)`.
    private func elements(of iterable: Item) throws -> [Item] {
        switch iterable {
        case .node(let node) where node.kind == .set:
            return node.keys.map { .value($0, Metrics.of($0)) }
        case .node(let node) where node.kind == .list || node.kind == .tuple:
            return node.items
        case .value(.tuple(let values), _), .value(.frozenset(let values), _), .value(.list(let values), _),
            .value(.set(let values), _):
            return values.map { .value($0, Metrics.of($0)) }
        default:
            throw PickleError.wrongOperand(
                .reduce,
                at: self.opcodeOffset,
                expected: "a list, tuple or set",
                found: iterable.typeName
            )
        }
    }

    /// `text.encode('latin1')`: every code point must be below 256.
    private func latin1(_ text: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard scalar.value < 0x100 else {
                throw PickleError.wrongOperand(
                    .reduce,
                    at: self.opcodeOffset,
                    expected: "text that Latin-1 can encode",
                    found: "a str holding U+\(String(scalar.value, radix: 16, uppercase: true))"
                )
            }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }
}
