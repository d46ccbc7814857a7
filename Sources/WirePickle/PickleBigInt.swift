/// An integer of any size, stored the way pickle's `LONG1` and `LONG4` opcodes store it.
///
/// The bytes are the value in two's complement, least significant byte first, in as few bytes as
/// the value needs (zero is no bytes at all), exactly as CPython's `pickle` writes them:
///
/// ```
/// 2**70   -> 00 00 00 00 00 00 00 00 40
/// -2**70  -> 00 00 00 00 00 00 00 00 c0
/// 255     -> ff 00
/// -1      -> ff
/// ```
///
/// ``PickleValue`` holds integers that fit `Int` as ``PickleValue/int(_:)``; this type carries the
/// others. Arithmetic is not its job: it converts to and from decimal text and fixed-width integers.
public struct PickleBigInt: Hashable, Sendable, CustomStringConvertible {
    /// The value in minimal two's complement, least significant byte first.
    public let twosComplementBytes: [UInt8]

    /// Reads a two's-complement, little-endian integer of any length, dropping redundant sign bytes.
    public init(twosComplementLittleEndian bytes: some Sequence<UInt8>) {
        var bytes = Array(bytes)
        while bytes.count > 1 {
            let last = bytes[bytes.count - 1]
            let signOfPrevious = bytes[bytes.count - 2] & 0x80
            guard (last == 0 && signOfPrevious == 0) || (last == 0xFF && signOfPrevious != 0) else { break }
            bytes.removeLast()
        }
        if bytes == [0] {
            bytes = []
        }
        self.twosComplementBytes = bytes
    }

    /// The integer `value`, of any fixed-width or arbitrary-precision integer type.
    public init<Value: BinaryInteger>(_ value: Value) {
        var bytes: [UInt8] = []
        for word in value.words {
            withUnsafeBytes(of: UInt(word).littleEndian) { bytes.append(contentsOf: $0) }
        }
        // `words` of a non-negative value may end in a set bit: add a sign byte so it stays positive.
        bytes.append(value < 0 ? 0xFF : 0x00)
        self.init(twosComplementLittleEndian: bytes)
    }

    /// Parses decimal digits with an optional leading `-` or `+`; nil for anything else.
    public init?(_ text: some StringProtocol) {
        var digits = Substring(text)
        var negative = false
        if let first = digits.first, first == "-" || first == "+" {
            negative = first == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        // Base 10^9 limbs, least significant first: multiply by 10^9 and add each group of nine digits.
        var limbs: [UInt32] = []
        let utf8 = Array(digits.utf8)
        var start = 0
        let firstGroup = utf8.count % 9 == 0 ? 9 : utf8.count % 9
        var end = firstGroup
        while start < utf8.count {
            var group: UInt64 = 0
            var scale: UInt64 = 1
            for byte in utf8[start..<end] {
                group = group * 10 + UInt64(byte - UInt8(ascii: "0"))
                scale *= 10
            }
            var carry = group
            for index in limbs.indices {
                let product = UInt64(limbs[index]) * scale + carry
                limbs[index] = UInt32(truncatingIfNeeded: product)
                carry = product >> 32
            }
            while carry > 0 {
                limbs.append(UInt32(truncatingIfNeeded: carry))
                carry >>= 32
            }
            start = end
            end += 9
        }
        var magnitude: [UInt8] = []
        for limb in limbs {
            withUnsafeBytes(of: limb.littleEndian) { magnitude.append(contentsOf: $0) }
        }
        magnitude.append(0)
        self.init(twosComplementLittleEndian: negative ? Self.negated(magnitude) : magnitude)
    }

    /// Whether the value is below zero.
    public var isNegative: Bool {
        (self.twosComplementBytes.last ?? 0) & 0x80 != 0
    }

    /// The value as an `Int`, if it fits.
    public var intValue: Int? {
        guard let value = self.int64Value else { return nil }
        return Int(exactly: value)
    }

    /// The value as an `Int64`, if it fits.
    var int64Value: Int64? {
        guard self.twosComplementBytes.count <= 8 else { return nil }
        var raw: UInt64 = self.isNegative ? .max : 0
        for (index, byte) in self.twosComplementBytes.enumerated() {
            raw &= ~(UInt64(0xFF) << (8 * index))
            raw |= UInt64(byte) << (8 * index)
        }
        return Int64(bitPattern: raw)
    }

    /// The value as a `UInt64`, if it is not negative and fits.
    var uint64Value: UInt64? {
        guard !self.isNegative else { return nil }
        var bytes = self.twosComplementBytes[...]
        if bytes.count == 9, bytes.last == 0 {
            bytes = bytes.dropLast()
        }
        guard bytes.count <= 8 else { return nil }
        var raw: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            raw |= UInt64(byte) << (8 * index)
        }
        return raw
    }

    /// Converts to a fixed-width integer type, if the value fits it.
    func exactly<Value: FixedWidthInteger>(_ type: Value.Type) -> Value? {
        if let value = self.int64Value {
            return Value(exactly: value)
        }
        if let value = self.uint64Value {
            return Value(exactly: value)
        }
        return nil
    }

    /// The value in decimal, with a leading `-` when negative, as Python's `repr()` prints it.
    public var description: String {
        let magnitude = self.isNegative ? Self.negated(self.twosComplementBytes) : self.twosComplementBytes
        var limbs: [UInt32] = stride(from: 0, to: magnitude.count, by: 4).map { start in
            var limb: UInt32 = 0
            for (index, byte) in magnitude[start..<min(start + 4, magnitude.count)].enumerated() {
                limb |= UInt32(byte) << (8 * index)
            }
            return limb
        }
        // Repeatedly divide by 10^9, most significant limb first; the remainders are the digit groups.
        var groups: [UInt32] = []
        while let last = limbs.last, last == 0 {
            limbs.removeLast()
        }
        while !limbs.isEmpty {
            var remainder: UInt64 = 0
            for index in limbs.indices.reversed() {
                let current = (remainder << 32) | UInt64(limbs[index])
                limbs[index] = UInt32(current / 1_000_000_000)
                remainder = current % 1_000_000_000
            }
            groups.append(UInt32(remainder))
            while let last = limbs.last, last == 0 {
                limbs.removeLast()
            }
        }
        guard let mostSignificant = groups.last else { return "0" }
        var text = self.isNegative ? "-" : ""
        text += String(mostSignificant)
        for group in groups.dropLast().reversed() {
            let digits = String(group)
            text += String(repeating: "0", count: 9 - digits.count) + digits
        }
        return text
    }

    /// Two's complement negation of little-endian bytes, keeping their length.
    static func negated(_ bytes: [UInt8]) -> [UInt8] {
        var result = bytes.map { ~$0 }
        for index in result.indices {
            result[index] &+= 1
            if result[index] != 0 { break }
        }
        return result
    }
}
