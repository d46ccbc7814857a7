/// Reads a pickled dict as a struct or a dictionary: string keys by name, int keys by `intValue`.
struct PickleKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: PickleValueDecoder
    let entries: [(key: PickleValue, value: PickleValue)]
    private let byName: [String: PickleValue]
    private let byNumber: [Int: PickleValue]

    init(decoder: PickleValueDecoder, entries: [(key: PickleValue, value: PickleValue)]) {
        self.decoder = decoder
        self.entries = entries
        var byName: [String: PickleValue] = [:]
        var byNumber: [Int: PickleValue] = [:]
        for (key, value) in entries {
            switch key {
            case .string(let name): byName[name] = value
            case .int(let number): byNumber[number] = value
            default: break
            }
        }
        self.byName = byName
        self.byNumber = byNumber
    }

    var codingPath: [any CodingKey] {
        self.decoder.codingPath
    }

    var allKeys: [Key] {
        self.entries.compactMap { entry in
            switch entry.key {
            case .string(let name): Key(stringValue: name)
            case .int(let number): Key(intValue: number) ?? Key(stringValue: String(number))
            default: nil
            }
        }
    }

    private func lookUp(_ key: Key) -> PickleValue? {
        if let number = key.intValue, let value = self.byNumber[number] {
            return value
        }
        return self.byName[key.stringValue]
    }

    private func child(_ key: Key) throws -> PickleValueDecoder {
        guard let value = self.lookUp(key) else {
            throw DecodingError.keyNotFound(
                key,
                DecodingError.Context(
                    codingPath: self.codingPath,
                    debugDescription: "no key \(key.stringValue) in the dict"
                )
            )
        }
        return self.decoder.child(value, key)
    }

    func contains(_ key: Key) -> Bool {
        self.lookUp(key) != nil
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        try self.child(key).decodeNil()
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try self.child(key).decode(type)
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try self.child(key).decode(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try self.child(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try self.child(key).decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try self.child(key).decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try self.child(key).decode(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try self.child(key).decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try self.child(key).decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try self.child(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try self.child(key).decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try self.child(key).decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try self.child(key).decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try self.child(key).decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try self.child(key).decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try self.child(key).decode(type) }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type,
        forKey key: Key
    ) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try self.child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try self.child(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        guard let key = Key(stringValue: "super") else { throw self.noSuperKey() }
        return try self.superDecoder(forKey: key)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        try self.child(key)
    }

    private func noSuperKey() -> DecodingError {
        DecodingError.dataCorrupted(
            DecodingError.Context(
                codingPath: self.codingPath,
                debugDescription: "the coding keys have no \"super\" key"
            )
        )
    }
}
