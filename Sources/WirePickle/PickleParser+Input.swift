extension PickleParser {
    typealias Bytes = Slice<UnsafeRawBufferPointer>

    var remaining: Int {
        self.input.count - self.position
    }

    mutating func readByte() throws -> UInt8 {
        guard self.position < self.input.count else { throw PickleError.truncated(at: self.input.count) }
        defer { self.position += 1 }
        return self.input[self.position]
    }

    /// The next `count` bytes; the caller has checked `count` against the limits.
    mutating func readBytes(_ count: Int) throws -> Bytes {
        guard count <= self.remaining else { throw PickleError.truncated(at: self.input.count) }
        defer { self.position += count }
        return self.input[self.position..<self.position + count]
    }

    /// A little-endian unsigned integer of 1, 2, 4 or 8 bytes.
    mutating func readUnsigned(bytes count: Int) throws -> UInt64 {
        var value: UInt64 = 0
        for (index, byte) in try self.readBytes(count).enumerated() {
            value |= UInt64(byte) << (8 * index)
        }
        return value
    }

    /// A big-endian unsigned integer, as BINFLOAT stores its double.
    mutating func readUnsignedBigEndian(bytes count: Int) throws -> UInt64 {
        var value: UInt64 = 0
        for byte in try self.readBytes(count) {
            value = value << 8 | UInt64(byte)
        }
        return value
    }

    /// An unsigned length of 1, 4 or 8 bytes, checked against the maximum and the input left.
    mutating func readLength(bytes count: Int) throws -> Int {
        let declared = try self.readUnsigned(bytes: count)
        return try self.checked(declared)
    }

    /// The signed 4-byte lengths of LONG4 and BINSTRING (a negative one is malformed), or the
    /// unsigned 1-byte lengths of LONG1 and SHORT_BINSTRING.
    mutating func readSignedLength(_ opcode: Opcode, bytes count: Int) throws -> Int {
        let raw = try self.readUnsigned(bytes: count)
        if count == 4 {
            let signed = Int32(truncatingIfNeeded: raw)
            guard signed >= 0 else { throw PickleError.malformedArgument(opcode, at: self.opcodeOffset) }
        }
        return try self.checked(raw)
    }

    private func checked(_ declared: UInt64) throws -> Int {
        guard declared <= UInt64(self.limits.maximumLength) else {
            throw PickleError.lengthExceedsLimit(
                declared: declared,
                at: self.opcodeOffset,
                limit: self.limits.maximumLength
            )
        }
        let length = Int(declared)
        guard length <= self.remaining else { throw PickleError.truncated(at: self.input.count) }
        return length
    }

    /// The bytes up to the next `\n`, which is consumed and not returned.
    mutating func readLine() throws -> Bytes {
        var end = self.position
        while end < self.input.count, self.input[end] != UInt8(ascii: "\n") {
            end += 1
        }
        guard end < self.input.count else { throw PickleError.truncated(at: self.input.count) }
        defer { self.position = end + 1 }
        return self.input[self.position..<end]
    }
}
