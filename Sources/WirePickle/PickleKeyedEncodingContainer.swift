/// Writes a struct (or any keyed value) as a dict with string keys, in the order encoded;
/// `nil` optionals are written as `None` rather than left out.
struct PickleKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: PickleValueEncoder

    var codingPath: [any CodingKey] {
        self.encoder.codingPath
    }

    private func child(_ key: Key) -> PickleValueEncoder {
        self.encoder.child(self.encoder.slot.slot(for: .string(key.stringValue)), key)
    }

    mutating func encodeNil(forKey key: Key) { self.child(key).encodeNil() }
    mutating func encode(_ value: Bool, forKey key: Key) { self.child(key).encode(value) }
    mutating func encode(_ value: String, forKey key: Key) { self.child(key).encode(value) }
    mutating func encode(_ value: Double, forKey key: Key) { self.child(key).encode(value) }
    mutating func encode(_ value: Float, forKey key: Key) { self.child(key).encode(value) }
    mutating func encode(_ value: Int, forKey key: Key) { self.child(key).encode(value) }
    mutating func encode(_ value: Int8, forKey key: Key) { self.child(key).encode(value) }
    mutating func encode(_ value: Int16, forKey key: Key) { self.child(key).encode(value) }
    mutating func encode(_ value: Int32, forKey key: Key) { self.child(key).encode(value) }
    mutating func encode(_ value: Int64, forKey key: Key) { self.child(key).encode(value) }
    mutating func encode(_ value: UInt, forKey key: Key) { self.child(key).encode(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) { self.child(key).encode(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) { self.child(key).encode(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) { self.child(key).encode(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) { self.child(key).encode(value) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try self.child(key).box(value)
    }

    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try self.encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try self.encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try self.encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try self.encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try self.encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try self.encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try self.encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try self.encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try self.encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try self.encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try self.encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try self.encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try self.encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try self.encodeOptional(value, key) }

    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        try self.encodeOptional(value, key)
    }

    /// A missing optional is `None`, as a Python dict built from the same fields would hold it.
    private func encodeOptional<T: Encodable>(_ value: T?, _ key: Key) throws {
        if let value {
            try self.child(key).box(value)
        } else {
            self.child(key).encodeNil()
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type,
        forKey key: Key
    )
        -> KeyedEncodingContainer<NestedKey>
    {
        self.child(key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        self.child(key).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        self.encoder.child(self.encoder.slot.slot(for: .string("super")), PickleCodingKey(stringValue: "super"))
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        self.child(key)
    }
}
