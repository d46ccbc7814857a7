/// Writes a sequence as a list.
struct PickleUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let encoder: PickleValueEncoder

    var codingPath: [any CodingKey] {
        self.encoder.codingPath
    }

    var count: Int {
        guard case .unkeyed(let slots) = self.encoder.slot.content else { return 0 }
        return slots.count
    }

    private func next() -> PickleValueEncoder {
        let index = self.count
        return self.encoder.child(self.encoder.slot.appendedSlot(), PickleCodingKey(index: index))
    }

    mutating func encodeNil() { self.next().encodeNil() }
    mutating func encode(_ value: Bool) { self.next().encode(value) }
    mutating func encode(_ value: String) { self.next().encode(value) }
    mutating func encode(_ value: Double) { self.next().encode(value) }
    mutating func encode(_ value: Float) { self.next().encode(value) }
    mutating func encode(_ value: Int) { self.next().encode(value) }
    mutating func encode(_ value: Int8) { self.next().encode(value) }
    mutating func encode(_ value: Int16) { self.next().encode(value) }
    mutating func encode(_ value: Int32) { self.next().encode(value) }
    mutating func encode(_ value: Int64) { self.next().encode(value) }
    mutating func encode(_ value: UInt) { self.next().encode(value) }
    mutating func encode(_ value: UInt8) { self.next().encode(value) }
    mutating func encode(_ value: UInt16) { self.next().encode(value) }
    mutating func encode(_ value: UInt32) { self.next().encode(value) }
    mutating func encode(_ value: UInt64) { self.next().encode(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try self.next().box(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    )
        -> KeyedEncodingContainer<NestedKey>
    {
        self.next().container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        self.next().unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        self.next()
    }
}
