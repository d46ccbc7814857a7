/// Bytes from a NATS server that break the protocol; the connection cannot go on.
public struct NATSProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case controlLineTooLong(limit: Int)
        case unknownOperation(String)
        case malformedArguments(operation: String, line: String)
        case payloadTooLarge(declared: Int, limit: Int)
        case missingPayloadTerminator(operation: String)
    }

    let code: Code

    static func controlLineTooLong(limit: Int) -> Self { Self(code: .controlLineTooLong(limit: limit)) }
    static func unknownOperation(_ name: String) -> Self { Self(code: .unknownOperation(name)) }
    static func malformedArguments(operation: String, line: String) -> Self {
        Self(code: .malformedArguments(operation: operation, line: line))
    }
    static func payloadTooLarge(declared: Int, limit: Int) -> Self {
        Self(code: .payloadTooLarge(declared: declared, limit: limit))
    }
    static func missingPayloadTerminator(operation: String) -> Self {
        Self(code: .missingPayloadTerminator(operation: operation))
    }

    public var description: String {
        switch self.code {
        case .controlLineTooLong(let limit):
            return "NATS control line longer than \(limit) bytes without CRLF"
        case .unknownOperation(let name):
            return "unknown NATS operation \"\(name)\""
        case .malformedArguments(let operation, let line):
            return "malformed NATS \(operation): \"\(line)\""
        case .payloadTooLarge(let declared, let limit):
            return "NATS message of \(declared) bytes exceeds the limit of \(limit) bytes"
        case .missingPayloadTerminator(let operation):
            return "NATS \(operation) payload is not followed by CRLF"
        }
    }
}
