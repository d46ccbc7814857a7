extension PickleWriter {
    /// Writes one value, as `Pickler.save` does.
    mutating func save(_ value: PickleValue, depth: Int) throws {
        self.commitFrame(force: false)
        switch value {
        case .none:
            self.write(Opcode.none)
        case .bool(let value):
            self.write(value ? Opcode.newTrue : Opcode.newFalse)
        case .int(let value):
            self.saveInteger(PickleBigInt(value), small: value)
        case .bigInt(let value):
            self.saveInteger(value, small: value.intValue)
        case .float(let value):
            var encoded = [Opcode.binFloat.rawValue]
            withUnsafeBytes(of: value.bitPattern.bigEndian) { encoded.append(contentsOf: $0) }
            self.write(encoded)
        case .string(let text):
            self.saveString(text, reusable: true)
        case .bytes(let bytes):
            try self.saveBytes(bytes, reusable: true)
        case .bytearray(let bytes):
            try self.saveByteArray(bytes)
        case .list(let items):
            try self.checkDepth(depth)
            self.write(Opcode.emptyList)
            _ = self.memoize()
            try self.saveListItems(items, depth: depth)
        case .tuple(let items):
            try self.checkDepth(depth)
            try self.saveTuple(items, depth: depth)
        case .dict(let entries):
            try self.checkDepth(depth)
            try self.saveDict(entries, depth: depth)
        case .set(let elements):
            try self.checkDepth(depth)
            try self.checkHashable(elements, role: "set element")
            if self.protocolVersion >= 4 {
                self.write(Opcode.emptySet)
                _ = self.memoize()
                if !elements.isEmpty {
                    try self.saveSetElements(elements, depth: depth)
                }
            } else {
                try self.saveReduce(.set, arguments: [.list(elements)], depth: depth)
            }
        case .frozenset(let elements):
            try self.checkDepth(depth)
            try self.checkHashable(elements, role: "frozenset element")
            if self.protocolVersion >= 4 {
                self.write(Opcode.mark)
                for element in elements {
                    try self.save(element, depth: depth + 1)
                }
                self.write(Opcode.frozenSet)
                _ = self.memoize()
            } else {
                try self.saveReduce(.frozenset, arguments: [.list(elements)], depth: depth)
            }
        }
    }

    private func checkDepth(_ depth: Int) throws {
        guard depth < self.maximumDepth else { throw PickleError.depthExceedsLimit(self.maximumDepth) }
    }

    private func checkHashable(_ values: some Sequence<PickleValue>, role: String) throws {
        if let unhashable = values.first(where: { !$0.isHashable }) {
            throw PickleError.unpicklable("a \(role) of type \(unhashable.typeName): Python could not load it")
        }
    }

    /// BININT1, BININT2 or BININT when the value fits 32 signed bits, LONG1 or LONG4 otherwise.
    private mutating func saveInteger(_ value: PickleBigInt, small: Int?) {
        if let small, small >= 0, small <= 0xFF {
            self.write([Opcode.binInt1.rawValue, UInt8(small)])
        } else if let small, small >= 0, small <= 0xFFFF {
            self.write(Opcode.binInt2, littleEndian: UInt64(small), bytes: 2)
        } else if let small, let signed = Int32(exactly: small) {
            self.write(Opcode.binInt, littleEndian: UInt64(UInt32(bitPattern: signed)), bytes: 4)
        } else {
            let bytes = value.twosComplementBytes
            if bytes.count < 256 {
                self.write([Opcode.long1.rawValue, UInt8(bytes.count)] + bytes)
            } else {
                self.write(Opcode.long4, littleEndian: UInt64(bytes.count), bytes: 4)
                self.write(bytes)
            }
        }
    }

    /// SHORT_BINUNICODE (protocol 4 and up, under 256 bytes), BINUNICODE or BINUNICODE8, then memoized.
    /// `reusable` is false for strings CPython makes afresh, such as the Latin-1 text of bytes.
    mutating func saveString(_ text: String, reusable: Bool) {
        if reusable, let index = self.memoizedStrings[text] {
            self.writeMemoGet(index)
            return
        }
        let utf8 = Array(text.utf8)
        let count = UInt64(utf8.count)
        if count <= 0xFF && self.protocolVersion >= 4 {
            self.write([Opcode.shortBinUnicode.rawValue, UInt8(count)] + utf8)
        } else if count > 0xFFFF_FFFF && self.protocolVersion >= 4 {
            self.writeLarge(header: Self.header(.binUnicode8, count, bytes: 8), payload: utf8)
        } else if count >= Self.frameSizeTarget {
            self.writeLarge(header: Self.header(.binUnicode, count, bytes: 4), payload: utf8)
        } else {
            self.write(Self.header(.binUnicode, count, bytes: 4) + utf8)
        }
        let index = self.memoize()
        if reusable {
            self.memoizedStrings[text] = index
        }
    }

    /// SHORT_BINBYTES, BINBYTES or BINBYTES8 from protocol 3; below it, `_codecs.encode(text, 'latin1')`
    /// (or `bytes()` when empty), as CPython writes bytes that Python 2 can read.
    mutating func saveBytes(_ bytes: [UInt8], reusable: Bool) throws {
        if reusable, let index = self.memoizedBytes[bytes] {
            self.writeMemoGet(index)
            return
        }
        let index: Int
        if self.protocolVersion < 3 {
            if bytes.isEmpty {
                index = try self.saveReduce(.bytes, arguments: [], depth: 0)
            } else {
                let latin1 = String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
                index = try self.saveReduce(
                    .codecsEncode,
                    arguments: [.latin1String(latin1), .string("latin1")],
                    depth: 0
                )
            }
        } else {
            let count = UInt64(bytes.count)
            if count <= 0xFF {
                self.write([Opcode.shortBinBytes.rawValue, UInt8(count)] + bytes)
            } else if count > 0xFFFF_FFFF && self.protocolVersion >= 4 {
                self.writeLarge(header: Self.header(.binBytes8, count, bytes: 8), payload: bytes)
            } else if count >= Self.frameSizeTarget {
                self.writeLarge(header: Self.header(.binBytes, count, bytes: 4), payload: bytes)
            } else {
                self.write(Self.header(.binBytes, count, bytes: 4) + bytes)
            }
            index = self.memoize()
        }
        if reusable {
            self.memoizedBytes[bytes] = index
        }
    }

    /// BYTEARRAY8 from protocol 5; below it, `bytearray(bytes)` (or `bytearray()` when empty).
    private mutating func saveByteArray(_ bytes: [UInt8]) throws {
        guard self.protocolVersion >= 5 else {
            _ = try self.saveReduce(.bytearray, arguments: bytes.isEmpty ? [] : [.freshBytes(bytes)], depth: 0)
            return
        }
        let header = Self.header(.byteArray8, UInt64(bytes.count), bytes: 8)
        if bytes.count >= Self.frameSizeTarget {
            self.writeLarge(header: header, payload: bytes)
        } else {
            self.write(header + bytes)
        }
        _ = self.memoize()
    }

    static func header(_ opcode: Opcode, _ count: UInt64, bytes: Int) -> [UInt8] {
        [opcode.rawValue] + (0..<bytes).map { UInt8(truncatingIfNeeded: count >> (8 * $0)) }
    }
}
