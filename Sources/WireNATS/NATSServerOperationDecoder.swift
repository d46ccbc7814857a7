public import NIOCore

/// Decodes what a NATS server sends into ``NATSServerOperation``s, through any split of the
/// byte stream.
///
/// A control line longer than `maximumControlLineLength` without its CRLF is refused as soon as
/// it is seen (the server's own limit is 4,096 bytes), and so is a message whose declared size is
/// above `maximumPayloadSize`, before any of it is buffered. Operation names are case-insensitive,
/// arguments may be separated by spaces or tabs, and a lone LF ends a line as CRLF does.
public struct NATSServerOperationDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = NATSServerOperation

    /// The longest control line accepted, CRLF excluded.
    public let maximumControlLineLength: Int
    /// The largest message (headers and payload) accepted.
    public let maximumPayloadSize: Int

    private enum State {
        case controlLine
        case payload(NATSMessage, headerBytes: Int?, totalBytes: Int, operation: String)
    }

    private var state = State.controlLine
    /// How far the current control line is known to hold no LF.
    private var searched = 0

    public init(maximumControlLineLength: Int = 4096, maximumPayloadSize: Int = 64 << 20) {
        precondition(maximumControlLineLength > 0 && maximumPayloadSize >= 0, "limits must be positive")
        self.maximumControlLineLength = maximumControlLineLength
        self.maximumPayloadSize = maximumPayloadSize
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> NATSServerOperation? {
        if case .controlLine = self.state {
            guard let line = try self.readControlLine(&buffer) else { return nil }
            if let operation = try self.operation(from: line) {
                return operation
            }
        }
        guard case .payload(var message, let headerBytes, let totalBytes, let operation) = self.state else {
            return nil
        }
        guard buffer.readableBytes >= totalBytes + 2 else { return nil }
        if let headerBytes {
            message.headers = buffer.readSlice(length: headerBytes)
        }
        message.payload = buffer.readSlice(length: totalBytes - (headerBytes ?? 0)) ?? ByteBuffer()
        guard let terminator = buffer.readBytes(length: 2), terminator == [0x0D, 0x0A] else {
            throw NATSProtocolError.missingPayloadTerminator(operation: operation)
        }
        self.state = .controlLine
        return .message(message)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> NATSServerOperation? {
        // What is left of a line or a payload at the end is lost with the connection.
        try self.decode(buffer: &buffer)
    }

    /// The next control line without its line end, or `nil` if it is not complete yet.
    private mutating func readControlLine(_ buffer: inout ByteBuffer) throws -> String? {
        let view = buffer.readableBytesView
        guard let newline = view[(view.startIndex + self.searched)...].firstIndex(of: 0x0A) else {
            self.searched = view.count
            // A CR may still come before the LF: one byte of slack.
            guard view.count <= self.maximumControlLineLength + 1 else {
                throw NATSProtocolError.controlLineTooLong(limit: self.maximumControlLineLength)
            }
            return nil
        }
        self.searched = 0
        var length = newline - view.startIndex
        let hasCR = length > 0 && view[newline - 1] == 0x0D
        if hasCR { length -= 1 }
        guard length <= self.maximumControlLineLength else {
            throw NATSProtocolError.controlLineTooLong(limit: self.maximumControlLineLength)
        }
        let line = buffer.readString(length: length) ?? ""
        buffer.moveReaderIndex(forwardBy: hasCR ? 2 : 1)
        return line
    }

    /// The operation a control line is, or `nil` when a payload follows (the state then says so).
    private mutating func operation(from line: String) throws -> NATSServerOperation? {
        let name = String(line.prefix { $0 != " " && $0 != "\t" })
        let rest = line.dropFirst(name.count).trimmingPrefix { $0 == " " || $0 == "\t" }
        switch name.uppercased() {
        case "PING": return .ping
        case "PONG": return .pong
        case "+OK": return .ok
        case "-ERR":
            var text = Substring(rest)
            while text.last == " " { text.removeLast() }
            if text.count >= 2, text.first == "'", text.last == "'" {
                text = text.dropFirst().dropLast()
            }
            return .error(String(text))
        case "INFO":
            return .info(ByteBuffer(string: String(rest)))
        case "MSG":
            let arguments = rest.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard arguments.count == 3 || arguments.count == 4, let size = Int(arguments[arguments.count - 1]),
                size >= 0
            else {
                throw NATSProtocolError.malformedArguments(operation: "MSG", line: line)
            }
            try self.checkSize(size)
            let message = NATSMessage(
                subject: arguments[0],
                subscriptionID: arguments[1],
                replyTo: arguments.count == 4 ? arguments[2] : nil,
                payload: ByteBuffer()
            )
            self.state = .payload(message, headerBytes: nil, totalBytes: size, operation: "MSG")
            return nil
        case "HMSG":
            let arguments = rest.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard arguments.count == 4 || arguments.count == 5,
                let headerBytes = Int(arguments[arguments.count - 2]), let total = Int(arguments[arguments.count - 1]),
                headerBytes >= 0, total >= headerBytes
            else {
                throw NATSProtocolError.malformedArguments(operation: "HMSG", line: line)
            }
            try self.checkSize(total)
            let message = NATSMessage(
                subject: arguments[0],
                subscriptionID: arguments[1],
                replyTo: arguments.count == 5 ? arguments[2] : nil,
                payload: ByteBuffer()
            )
            self.state = .payload(message, headerBytes: headerBytes, totalBytes: total, operation: "HMSG")
            return nil
        default:
            throw NATSProtocolError.unknownOperation(String(name.prefix(32)))
        }
    }

    private func checkSize(_ size: Int) throws {
        guard size <= self.maximumPayloadSize else {
            throw NATSProtocolError.payloadTooLarge(declared: size, limit: self.maximumPayloadSize)
        }
    }
}
