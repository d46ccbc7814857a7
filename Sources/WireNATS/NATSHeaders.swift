public import NIOCore

/// The headers of a NATS message (`HPUB`, `HMSG`): an optional status, then `Name: value` lines.
///
/// ```
/// NATS/1.0\r\n                       NATS/1.0 100 Idle Heartbeat\r\n
/// Nats-Msg-Id: 7f3a-12\r\n           Nats-Last-Consumer: 4\r\n
/// \r\n                               Nats-Last-Stream: 5\r\n
///                                    \r\n
/// ```
///
/// A status line (`NATS/1.0 503`, `NATS/1.0 100 FlowControl Request`) is how the server speaks to
/// a client in a message: no responders for a request, a JetStream heartbeat or flow-control
/// request. Names are compared without regard to case, as the server does.
public struct NATSHeaders: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// The status code of the first line, if it has one (`503`, `100`, `404`...).
    public var status: Int?
    /// The words after the status code (`Idle Heartbeat`), or empty.
    public var statusDescription: String
    /// The header lines in order; a name may appear more than once.
    public private(set) var fields: [Field]

    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// No status and no lines.
    public init() {
        self.init(status: nil)
    }

    public init(status: Int?, statusDescription: String = "", fields: [Field] = []) {
        self.status = status
        self.statusDescription = statusDescription
        self.fields = fields
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(status: nil, fields: elements.map { Field(name: $0.0, value: $0.1) })
    }

    /// The first value of `name`, or `nil`; setting replaces every line of that name.
    public subscript(name: String) -> String? {
        get {
            let lowered = name.lowercased()
            return self.fields.first { $0.name.lowercased() == lowered }?.value
        }
        set {
            let lowered = name.lowercased()
            self.fields.removeAll { $0.name.lowercased() == lowered }
            if let newValue {
                self.fields.append(Field(name: name, value: newValue))
            }
        }
    }

    /// Parses a header block as it arrives in an `HMSG`; `nil` when it is not one (no `NATS/1.0`
    /// first line). Lines that are not `Name: value` are skipped, never trusted.
    public init?(parsing block: ByteBuffer) {
        let text = String(decoding: block.readableBytesView, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: true).makeIterator()
        guard let first = lines.next(), first.hasPrefix("NATS/1.0") else { return nil }
        let rest = first.dropFirst("NATS/1.0".count).drop { $0 == " " }
        let code = rest.prefix { $0.isASCII && $0.isNumber }
        self.status = code.count == 3 ? Int(code) : nil
        self.statusDescription = self.status == nil ? "" : String(rest.dropFirst(3).drop { $0 == " " })
        self.fields = []
        while let line = lines.next() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingSpaces
            guard !name.isEmpty else { continue }
            self.fields.append(
                Field(name: String(name), value: String(line[line.index(after: colon)...].trimmingSpaces))
            )
        }
    }

    /// The block as it is sent in an `HPUB`, ending with the blank line.
    public func encoded() -> ByteBuffer {
        var text = "NATS/1.0"
        if let status = self.status {
            text += " \(status)"
            if !self.statusDescription.isEmpty { text += " " + self.statusDescription }
        }
        text += "\r\n"
        for field in self.fields {
            text += "\(field.name): \(field.value)\r\n"
        }
        text += "\r\n"
        return ByteBuffer(string: text)
    }
}

extension NATSMessage {
    /// The message's headers, parsed; `nil` for a `MSG` or a block that is not NATS headers.
    public var parsedHeaders: NATSHeaders? {
        self.headers.flatMap(NATSHeaders.init(parsing:))
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var result = self.drop { $0 == " " || $0 == "\t" }
        while let last = result.last, last == " " || last == "\t" {
            result = result.dropLast()
        }
        return result
    }
}
