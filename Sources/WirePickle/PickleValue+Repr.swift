extension PickleValue {
    /// The text Python's `repr()` gives for the value, character for character:
    ///
    /// ```
    /// {1: 'hi', 2: 'there'}   ["it's", 'a "b"']   b'\x00\n'   (1,)   {1, 2}   set()
    /// frozenset({1})   bytearray(b'x')   1e+16   -0.0   inf   nan   True   None
    /// ```
    ///
    /// Strings choose their quotes and escapes as Python does (`\n`, `\x00`, `\u2028`, `\U000e0001`),
    /// with Swift's Unicode tables deciding what is printable; they may differ from the running
    /// Python's for characters assigned in a newer Unicode version. Floats print in the shortest form
    /// that reads back as the same double. Elements of sets appear in the order they are stored.
    public var pythonRepr: String {
        var text = ""
        self.writeRepr(into: &text)
        return text
    }

    private func writeRepr(into text: inout String) {
        switch self {
        case .none: text += "None"
        case .bool(let value): text += value ? "True" : "False"
        case .int(let value): text += String(value)
        case .bigInt(let value): text += value.description
        case .float(let value): text += PythonFloat.repr(value)
        case .string(let value): Self.writeRepr(of: value, into: &text)
        case .bytes(let bytes): Self.writeRepr(of: bytes, alwaysEscapingApostrophes: false, into: &text)
        case .bytearray(let bytes):
            text += "bytearray("
            Self.writeRepr(of: bytes, alwaysEscapingApostrophes: true, into: &text)
            text += ")"
        case .list(let items): Self.writeItems(items, open: "[", close: "]", into: &text)
        case .tuple(let items):
            Self.writeItems(items, open: "(", close: items.count == 1 ? ",)" : ")", into: &text)
        case .dict(let entries):
            text += "{"
            for (index, entry) in entries.enumerated() {
                if index > 0 { text += ", " }
                entry.key.writeRepr(into: &text)
                text += ": "
                entry.value.writeRepr(into: &text)
            }
            text += "}"
        case .set(let elements):
            if elements.isEmpty {
                text += "set()"
            } else {
                Self.writeItems(elements, open: "{", close: "}", into: &text)
            }
        case .frozenset(let elements):
            text += "frozenset("
            if !elements.isEmpty {
                Self.writeItems(elements, open: "{", close: "}", into: &text)
            }
            text += ")"
        }
    }

    private static func writeItems(_ items: [PickleValue], open: String, close: String, into text: inout String) {
        text += open
        for (index, item) in items.enumerated() {
            if index > 0 { text += ", " }
            item.writeRepr(into: &text)
        }
        text += close
    }

    /// `repr(str)`: single quotes unless the text has a `'` and no `"`.
    private static func writeRepr(of string: String, into text: inout String) {
        let scalars = string.unicodeScalars
        let quote: Unicode.Scalar = scalars.contains("'") && !scalars.contains("\"") ? "\"" : "'"
        text.unicodeScalars.append(quote)
        for scalar in scalars {
            switch scalar {
            case quote, "\\":
                text += "\\"
                text.unicodeScalars.append(scalar)
            case "\t": text += "\\t"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case " "..."~": text.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x80, Self.isPrintable(scalar) {
                    text.unicodeScalars.append(scalar)
                } else if scalar.value <= 0xFF {
                    text += "\\x" + Self.hex(scalar.value, digits: 2)
                } else if scalar.value <= 0xFFFF {
                    text += "\\u" + Self.hex(scalar.value, digits: 4)
                } else {
                    text += "\\U" + Self.hex(scalar.value, digits: 8)
                }
            }
        }
        text.unicodeScalars.append(quote)
    }

    /// `repr(bytes)`: `b'...'`, printable ASCII as is, everything else escaped. A bytearray's repr
    /// escapes every `'` even between double quotes: `bytearray(b"it\'s")`.
    private static func writeRepr(of bytes: [UInt8], alwaysEscapingApostrophes: Bool, into text: inout String) {
        let quote: UInt8 = bytes.contains(UInt8(ascii: "'")) && !bytes.contains(UInt8(ascii: "\"")) ? 0x22 : 0x27
        text += "b"
        text.unicodeScalars.append(Unicode.Scalar(quote))
        for byte in bytes {
            switch byte {
            case quote, UInt8(ascii: "\\"):
                text += "\\"
                text.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "'") where alwaysEscapingApostrophes:
                text += "\\'"
            case UInt8(ascii: "\t"): text += "\\t"
            case UInt8(ascii: "\n"): text += "\\n"
            case UInt8(ascii: "\r"): text += "\\r"
            case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(byte))
            default: text += "\\x" + Self.hex(UInt32(byte), digits: 2)
            }
        }
        text.unicodeScalars.append(Unicode.Scalar(quote))
    }

    /// Python's `str.isprintable()` for one character: not a control, format, surrogate,
    /// private-use or unassigned code point, nor a separator other than the space.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
            .spaceSeparator:
            return scalar == " "
        default:
            return true
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: false)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
