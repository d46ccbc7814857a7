extension PickleWriter {
    /// The globals CPython writes for the types without an opcode of their own in older protocols.
    enum Global {
        case codecsEncode, bytes, bytearray, set, frozenset

        var module: String {
            self == .codecsEncode ? "_codecs" : "builtins"
        }

        var name: String {
            switch self {
            case .codecsEncode: "encode"
            case .bytes: "bytes"
            case .bytearray: "bytearray"
            case .set: "set"
            case .frozenset: "frozenset"
            }
        }
    }

    /// An argument of a REDUCE: the objects CPython builds afresh for it are never shared by memo.
    enum ReduceArgument {
        /// `list(a_set)`.
        case list([PickleValue])
        /// An interned string such as `'latin1'`.
        case string(String)
        /// `str(some_bytes, 'latin1')`.
        case latin1String(String)
        /// `bytes(a_bytearray)`.
        case freshBytes([UInt8])
    }

    /// `func(*arguments)` through REDUCE, memoized; returns the memo index of the result.
    @discardableResult
    mutating func saveReduce(_ function: Global, arguments: [ReduceArgument], depth: Int) throws -> Int {
        self.saveGlobal(function)
        // The argument tuple, as save_tuple writes it.
        self.commitFrame(force: false)
        if arguments.isEmpty {
            self.write(Opcode.emptyTuple)
        } else {
            for argument in arguments {
                self.commitFrame(force: false)
                switch argument {
                case .list(let items):
                    try self.save(.list(items), depth: depth)
                case .string(let text):
                    self.saveString(text, reusable: true)
                case .latin1String(let text):
                    self.saveString(text, reusable: false)
                case .freshBytes(let bytes):
                    try self.saveBytes(bytes, reusable: false)
                }
            }
            self.write([Opcode.tuple1.rawValue + UInt8(arguments.count - 1)])
            _ = self.memoize()
        }
        self.write(Opcode.reduce)
        return self.memoize()
    }

    /// STACK_GLOBAL from protocol 4, GLOBAL before (with Python 2's `__builtin__` in protocol 2).
    private mutating func saveGlobal(_ global: Global) {
        self.commitFrame(force: false)
        let key = global.module + "." + global.name
        if let index = self.memoizedGlobals[key] {
            self.writeMemoGet(index)
            return
        }
        if self.protocolVersion >= 4 {
            self.commitFrame(force: false)
            self.saveString(global.module, reusable: true)
            self.commitFrame(force: false)
            self.saveString(global.name, reusable: true)
            self.write(Opcode.stackGlobal)
        } else {
            let module = self.protocolVersion < 3 && global.module == "builtins" ? "__builtin__" : global.module
            self.write([Opcode.global.rawValue] + Array("\(module)\n\(global.name)\n".utf8))
        }
        self.memoizedGlobals[key] = self.memoize()
    }

    mutating func saveTuple(_ items: [PickleValue], depth: Int) throws {
        if items.isEmpty {
            self.write(Opcode.emptyTuple)
            return
        }
        if items.count > 3 {
            self.write(Opcode.mark)
        }
        for item in items {
            try self.save(item, depth: depth + 1)
        }
        self.write(items.count > 3 ? Opcode.tuple : [Opcode.tuple1, .tuple2, .tuple3][items.count - 1])
        _ = self.memoize()
    }

    /// A list's items after its EMPTY_LIST: one APPEND for a single item, else batches of MARK,
    /// up to 1,000 items, APPENDS (CPython's `batch_list_exact`).
    mutating func saveListItems(_ items: [PickleValue], depth: Int) throws {
        if items.count == 1 {
            try self.save(items[0], depth: depth + 1)
            self.write(Opcode.append)
            return
        }
        var position = 0
        while position < items.count {
            self.write(Opcode.mark)
            for item in items[position..<min(position + Self.batchSize, items.count)] {
                try self.save(item, depth: depth + 1)
            }
            position += Self.batchSize
            self.write(Opcode.appends)
        }
    }

    /// A set's elements after its EMPTY_SET: batches of MARK, up to 1,000 elements, ADDITEMS; as in
    /// CPython, a set whose size is a multiple of 1,000 ends with an empty batch.
    mutating func saveSetElements(_ elements: [PickleValue], depth: Int) throws {
        var position = 0
        repeat {
            self.write(Opcode.mark)
            let batch = elements[position..<min(position + Self.batchSize, elements.count)]
            for element in batch {
                try self.save(element, depth: depth + 1)
            }
            position += batch.count
            self.write(Opcode.addItems)
            if batch.count < Self.batchSize { break }
        } while true
    }

    /// EMPTY_DICT, then one SETITEM for a single entry, else batches of MARK, up to 1,000 keys and
    /// values, SETITEMS; as in CPython, a size that is a multiple of 1,000 ends with an empty batch.
    mutating func saveDict(_ entries: [(key: PickleValue, value: PickleValue)], depth: Int) throws {
        if let unhashable = entries.first(where: { !$0.key.isHashable }) {
            throw PickleError.unpicklable("a dict key of type \(unhashable.key.typeName): Python could not load it")
        }
        self.write(Opcode.emptyDict)
        _ = self.memoize()
        if entries.isEmpty {
            return
        }
        if entries.count == 1 {
            try self.save(entries[0].key, depth: depth + 1)
            try self.save(entries[0].value, depth: depth + 1)
            self.write(Opcode.setItem)
            return
        }
        var position = 0
        repeat {
            self.write(Opcode.mark)
            let batch = entries[position..<min(position + Self.batchSize, entries.count)]
            for (key, value) in batch {
                try self.save(key, depth: depth + 1)
                try self.save(value, depth: depth + 1)
            }
            position += batch.count
            self.write(Opcode.setItems)
            if batch.count < Self.batchSize { break }
        } while true
    }
}
