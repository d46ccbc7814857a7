/// Reads a pickled list, tuple, set or frozenset (or the bytes of a `bytes`) one item at a time.
struct PickleUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let decoder: PickleValueDecoder
    let items: [PickleValue]
    private(set) var currentIndex = 0

    init(decoder: PickleValueDecoder, items: [PickleValue]) {
        self.decoder = decoder
        self.items = items
    }

    var codingPath: [any CodingKey] {
        self.decoder.codingPath
    }

    var count: Int? {
        self.items.count
    }

    var isAtEnd: Bool {
        self.currentIndex >= self.items.count
    }

    private mutating func next<T>(_ type: T.Type) throws -> PickleValueDecoder {
        guard !self.isAtEnd else {
            throw DecodingError.valueNotFound(
                type,
                DecodingError.Context(
                    codingPath: self.codingPath + [PickleCodingKey(index: self.currentIndex)],
                    debugDescription: "no item at index \(self.currentIndex): the sequence has \(self.items.count)"
                )
            )
        }
        defer { self.currentIndex += 1 }
        return self.decoder.child(self.items[self.currentIndex], PickleCodingKey(index: self.currentIndex))
    }

    mutating func decodeNil() throws -> Bool {
        guard !self.isAtEnd, self.items[self.currentIndex] == .none else { return false }
        self.currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try self.next(type).decode(type)
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try self.next(type).decode(type) }
    mutating func decode(_ type: String.Type) throws -> String { try self.next(type).decode(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try self.next(type).decode(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try self.next(type).decode(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try self.next(type).decode(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try self.next(type).decode(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try self.next(type).decode(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try self.next(type).decode(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try self.next(type).decode(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try self.next(type).decode(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try self.next(type).decode(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try self.next(type).decode(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try self.next(type).decode(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try self.next(type).decode(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try self.next(type).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try self.next([PickleValue].self).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        try self.next(PickleValue.self)
    }
}
