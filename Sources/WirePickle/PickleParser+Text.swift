extension PickleParser {
    /// The value of a protocol-0 opcode whose argument is a line of text.
    func parseText(_ opcode: Opcode, _ line: Bytes) throws -> PickleValue {
        let malformed = PickleError.malformedArgument(opcode, at: self.opcodeOffset)
        switch opcode {
        case .int:
            if line.elementsEqual("01".utf8) { return .bool(true) }
            if line.elementsEqual("00".utf8) { return .bool(false) }
            guard let value = Self.integer(Self.trimmed(line)) else { throw malformed }
            return value
        case .long:
            var digits = Self.trimmed(line)
            if digits.last == UInt8(ascii: "L") {
                digits = digits.dropLast()
            }
            guard let value = Self.integer(digits) else { throw malformed }
            return value
        case .float:
            guard let value = Self.float(Self.trimmed(line)) else { throw malformed }
            return .float(value)
        case .string:
            guard line.count >= 2, let quote = line.first, quote == line.last,
                quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\""),
                let bytes = Self.escapeDecoded(line.dropFirst().dropLast())
            else { throw malformed }
            // Python 3 reads a Python 2 `str` as ASCII text, the default `encoding` of `pickle.loads`.
            guard bytes.allSatisfy({ $0 < 0x80 }) else { throw PickleError.invalidString(at: self.opcodeOffset) }
            return .string(String(decoding: bytes, as: UTF8.self))
        default:
            guard let scalars = Self.rawUnicodeEscapeDecoded(line) else { throw malformed }
            var text = ""
            for scalar in scalars {
                guard let scalar = Unicode.Scalar(scalar) else {
                    throw PickleError.invalidString(at: self.opcodeOffset)  // A lone surrogate.
                }
                text.unicodeScalars.append(scalar)
            }
            return .string(text)
        }
    }

    static func trimmed(_ line: Bytes) -> Bytes {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || (0x09...0x0D).contains($0) }
        var result = line
        while let first = result.first, isSpace(first) { result = result.dropFirst() }
        while let last = result.last, isSpace(last) { result = result.dropLast() }
        return result
    }

    /// Decimal digits with an optional sign, as `int(text, 0)` reads them: no leading zeros unless
    /// all are zeros, and no more than Python's 4300-digit limit for converting text to `int`.
    static func integer(_ text: Bytes) -> PickleValue? {
        var digits = text
        if let sign = digits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.count <= 4300,
            digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            digits.first != UInt8(ascii: "0") || digits.allSatisfy({ $0 == UInt8(ascii: "0") })
        else { return nil }
        guard let value = PickleBigInt(String(decoding: text, as: UTF8.self)) else { return nil }
        return .integer(value)
    }

    /// A float as `float(text)` reads it: decimal notation, `inf`, `infinity` or `nan`.
    static func float(_ text: Bytes) -> Double? {
        let string = String(decoding: text, as: UTF8.self)
        var unsigned = Substring(string)
        if let sign = unsigned.first, sign == "-" || sign == "+" {
            unsigned = unsigned.dropFirst()
        }
        switch unsigned.lowercased() {
        case "inf", "infinity": return string.hasPrefix("-") ? -.infinity : .infinity
        case "nan": return .nan
        default: break
        }
        guard unsigned.utf8.first.map({ $0 == UInt8(ascii: ".") || ($0 >= 0x30 && $0 <= 0x39) }) == true,
            unsigned.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || "+-.eE".utf8.contains($0) })
        else { return nil }
        return Double(string)
    }

    /// Python's `codecs.escape_decode`, which reads the quoted text of the STRING opcode.
    static func escapeDecoded(_ text: Bytes) -> [UInt8]? {
        var result: [UInt8] = []
        var index = text.startIndex
        func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x41...0x46: byte - 0x41 + 10
            case 0x61...0x66: byte - 0x61 + 10
            default: nil
            }
        }
        while index < text.endIndex {
            let byte = text[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                result.append(byte)
                continue
            }
            guard index < text.endIndex else { return nil }  // A trailing backslash.
            let escape = text[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\n"): break
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): result.append(escape)
            case UInt8(ascii: "a"): result.append(0x07)
            case UInt8(ascii: "b"): result.append(0x08)
            case UInt8(ascii: "f"): result.append(0x0C)
            case UInt8(ascii: "n"): result.append(0x0A)
            case UInt8(ascii: "r"): result.append(0x0D)
            case UInt8(ascii: "t"): result.append(0x09)
            case UInt8(ascii: "v"): result.append(0x0B)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = Int(escape - 0x30)
                for _ in 0..<2 {
                    guard index < text.endIndex, (0x30...0x37).contains(text[index]) else { break }
                    value = value * 8 + Int(text[index] - 0x30)
                    index += 1
                }
                guard value <= 0xFF else { return nil }
                result.append(UInt8(value))
            case UInt8(ascii: "x"):
                guard index + 1 < text.endIndex, let high = hexValue(text[index]), let low = hexValue(text[index + 1])
                else { return nil }
                result.append(high << 4 | low)
                index += 2
            default:
                result.append(UInt8(ascii: "\\"))
                result.append(escape)
            }
        }
        return result
    }

    /// Python's `raw-unicode-escape` codec, which the UNICODE opcode's text is in: bytes are
    /// Latin-1 code points except `\uXXXX` and `\UXXXXXXXX`; any other backslash pair is literal.
    static func rawUnicodeEscapeDecoded(_ text: Bytes) -> [UInt32]? {
        var result: [UInt32] = []
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            index += 1
            guard byte == UInt8(ascii: "\\"), index < text.endIndex else {
                result.append(UInt32(byte))
                continue
            }
            let escape = text[index]
            index += 1
            let count: Int
            switch escape {
            case UInt8(ascii: "u"): count = 4
            case UInt8(ascii: "U"): count = 8
            default:
                result.append(UInt32(byte))
                result.append(UInt32(escape))
                continue
            }
            guard index + count <= text.endIndex else { return nil }
            var value: UInt32 = 0
            for digit in text[index..<index + count] {
                guard let nibble = UInt32(String(UnicodeScalar(digit)), radix: 16) else { return nil }
                value = value << 4 | nibble
            }
            guard value <= 0x10FFFF else { return nil }
            result.append(value)
            index += count
        }
        return result
    }
}
