/// Reads a Python literal into a ``PickleValue`` (``PickleValue/init(pythonLiteral:)``), with a
/// bounded depth, evaluating nothing.
struct PythonLiteralParser {
    static let maximumDepth = 200

    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var depth = 0

    init(_ scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    mutating func parseDocument() throws(PythonLiteralError) -> PickleValue {
        let value = try self.parseValue()
        self.skipSpace()
        guard self.position == self.scalars.count else { throw self.error("the end of the text") }
        return value
    }

    private func error(_ expected: String) -> PythonLiteralError {
        PythonLiteralError(position: self.position, expected: expected)
    }

    private var current: Unicode.Scalar? {
        self.position < self.scalars.count ? self.scalars[self.position] : nil
    }

    private mutating func skipSpace() {
        while let scalar = self.current, scalar.properties.isWhitespace {
            self.position += 1
        }
    }

    private mutating func consume(_ text: String) -> Bool {
        let wanted = Array(text.unicodeScalars)
        guard self.position + wanted.count <= self.scalars.count,
            Array(self.scalars[self.position..<self.position + wanted.count]) == wanted
        else { return false }
        // A keyword must not run on into a name: `Nonesuch` is not `None`.
        if let last = wanted.last, last.properties.isAlphabetic, self.position + wanted.count < self.scalars.count {
            let next = self.scalars[self.position + wanted.count]
            if next.properties.isAlphabetic || next == "_" || ("0"..."9").contains(next) { return false }
        }
        self.position += wanted.count
        return true
    }

    private mutating func parseValue() throws(PythonLiteralError) -> PickleValue {
        self.skipSpace()
        guard let scalar = self.current else { throw self.error("a value") }
        switch scalar {
        case "[":
            return .list(try self.parseSequence(closing: "]"))
        case "(":
            return try self.parseParenthesis()
        case "{":
            return try self.parseBraces()
        case "'", "\"":
            return .string(
                String(String.UnicodeScalarView(try self.parseQuoted().map { Unicode.Scalar($0) ?? "\u{FFFD}" }))
            )
        case "b", "B":
            if self.position + 1 < self.scalars.count, ["'", "\""].contains(self.scalars[self.position + 1]) {
                self.position += 1
                return .bytes(try self.parseBytes())
            }
        case "-", "+", ".", "0"..."9":
            return try self.parseNumber()
        default:
            break
        }
        for (word, value) in [
            ("None", PickleValue.none), ("null", .none), ("True", .bool(true)), ("true", .bool(true)),
            ("False", .bool(false)), ("false", .bool(false)),
        ] where self.consume(word) {
            return value
        }
        if self.consume("set()") {
            return .set([])
        }
        throw self.error("a value (None, True, False, a number, a string, bytes, a list, a tuple, a dict or a set)")
    }

    private mutating func nested<T>(
        _ body: (inout Self) throws(PythonLiteralError) -> T
    ) throws(PythonLiteralError) -> T {
        self.depth += 1
        defer { self.depth -= 1 }
        guard self.depth <= Self.maximumDepth else {
            throw self.error("at most \(Self.maximumDepth) levels of nesting")
        }
        return try body(&self)
    }

    /// Values separated by commas up to `closing`, a trailing comma allowed; the opening bracket is current.
    private mutating func parseSequence(closing: Unicode.Scalar) throws(PythonLiteralError) -> [PickleValue] {
        try self.nested { (parser: inout Self) throws(PythonLiteralError) -> [PickleValue] in
            parser.position += 1
            var values: [PickleValue] = []
            while true {
                parser.skipSpace()
                if parser.current == closing {
                    parser.position += 1
                    return values
                }
                values.append(try parser.parseValue())
                parser.skipSpace()
                if parser.current == "," {
                    parser.position += 1
                } else if parser.current != closing {
                    throw parser.error("',' or '\(closing)'")
                }
            }
        }
    }

    private mutating func parseParenthesis() throws(PythonLiteralError) -> PickleValue {
        try self.nested { (parser: inout Self) throws(PythonLiteralError) -> PickleValue in
            parser.position += 1
            parser.skipSpace()
            if parser.current == ")" {
                parser.position += 1
                return .tuple([])
            }
            let first = try parser.parseValue()
            parser.skipSpace()
            if parser.current == ")" {
                // `(x)` is x itself; only a comma makes a tuple.
                parser.position += 1
                return first
            }
            guard parser.current == "," else { throw parser.error("',' or ')'") }
            var values = [first]
            parser.position += 1
            while true {
                parser.skipSpace()
                if parser.current == ")" {
                    parser.position += 1
                    return .tuple(values)
                }
                values.append(try parser.parseValue())
                parser.skipSpace()
                if parser.current == "," {
                    parser.position += 1
                } else if parser.current != ")" {
                    throw parser.error("',' or ')'")
                }
            }
        }
    }

    private mutating func parseBraces() throws(PythonLiteralError) -> PickleValue {
        try self.nested { (parser: inout Self) throws(PythonLiteralError) -> PickleValue in
            parser.position += 1
            parser.skipSpace()
            if parser.current == "}" {
                parser.position += 1
                return .dict([])
            }
            let first = try parser.parseValue()
            parser.skipSpace()
            if parser.current == ":" {
                var pairs: [(key: PickleValue, value: PickleValue)] = []
                var key = first
                while true {
                    guard parser.current == ":" else { throw parser.error("':'") }
                    parser.position += 1
                    let value = try parser.parseValue()
                    if let index = pairs.firstIndex(where: { $0.key == key }) {
                        pairs[index].value = value  // a repeated key keeps the last value, as in Python
                    } else {
                        pairs.append((key, value))
                    }
                    parser.skipSpace()
                    if parser.current == "," {
                        parser.position += 1
                        parser.skipSpace()
                    }
                    if parser.current == "}" {
                        parser.position += 1
                        return .dict(pairs)
                    }
                    key = try parser.parseValue()
                    parser.skipSpace()
                }
            }
            var elements = [first]
            while true {
                if parser.current == "," {
                    parser.position += 1
                    parser.skipSpace()
                }
                if parser.current == "}" {
                    parser.position += 1
                    var unique: [PickleValue] = []
                    for element in elements where !unique.contains(element) { unique.append(element) }
                    return .set(unique)
                }
                elements.append(try parser.parseValue())
                parser.skipSpace()
                guard parser.current == "," || parser.current == "}" else { throw parser.error("',' or '}'") }
            }
        }
    }

    /// A quoted string's code points (escapes resolved); the opening quote is current.
    private mutating func parseQuoted(bytes: Bool = false) throws(PythonLiteralError) -> [UInt32] {
        guard let quote = self.current else { throw self.error("a quote") }
        self.position += 1
        var result: [UInt32] = []
        while true {
            guard let scalar = self.current else { throw self.error("the closing quote \(quote)") }
            self.position += 1
            if scalar == quote { return result }
            guard scalar == "\\" else {
                if bytes && scalar.value > 0x7F { throw self.error("ASCII characters in bytes") }
                result.append(scalar.value)
                continue
            }
            guard let escaped = self.current else { throw self.error("an escape") }
            self.position += 1
            switch escaped {
            case "n": result.append(0x0A)
            case "r": result.append(0x0D)
            case "t": result.append(0x09)
            case "0": result.append(0)
            case "a": result.append(0x07)
            case "b": result.append(0x08)
            case "f": result.append(0x0C)
            case "v": result.append(0x0B)
            case "\\", "'", "\"": result.append(escaped.value)
            case "\n": break
            case "x": result.append(try self.parseHex(digits: 2))
            case "u" where !bytes: result.append(try self.parseHex(digits: 4))
            case "U" where !bytes: result.append(try self.parseHex(digits: 8))
            default:
                // Python keeps an unknown escape as it is.
                result.append(0x5C)
                result.append(escaped.value)
            }
        }
    }

    private mutating func parseHex(digits: Int) throws(PythonLiteralError) -> UInt32 {
        guard self.position + digits <= self.scalars.count,
            let value = UInt32(
                String(String.UnicodeScalarView(self.scalars[self.position..<self.position + digits])),
                radix: 16
            )
        else { throw self.error("\(digits) hexadecimal digits") }
        guard value <= 0x10FFFF else { throw self.error("a code point up to 0x10FFFF") }
        self.position += digits
        return value
    }

    private mutating func parseBytes() throws(PythonLiteralError) -> [UInt8] {
        let start = self.position
        let values = try self.parseQuoted(bytes: true)
        guard values.allSatisfy({ $0 <= 0xFF }) else {
            self.position = start
            throw self.error("bytes from 0 to 255")
        }
        return values.map { UInt8($0) }
    }

    private mutating func parseNumber() throws(PythonLiteralError) -> PickleValue {
        let start = self.position
        while let scalar = self.current, "0123456789+-.eE_xXabcdefABCDEFinftyINFTY".unicodeScalars.contains(scalar) {
            self.position += 1
        }
        let text = String(String.UnicodeScalarView(self.scalars[start..<self.position])).replacingUnderscores()
        if let value = Int(text) {
            return .int(value)
        }
        if let big = PickleBigInt(text) {
            return .integer(big)
        }
        if !text.isEmpty, let value = Double(text), text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
            return .float(value)
        }
        self.position = start
        throw self.error("a number")
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(self.filter { $0 != "_" })
    }
}
