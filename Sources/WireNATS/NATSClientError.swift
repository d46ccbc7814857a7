/// Why the NATS client could not do what was asked; each says so in one sentence.
public struct NATSClientError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case invalidAddress(String, reason: String)
        case invalidSubject(String)
        case payloadTooLarge(size: Int, limit: Int)
        case reconnectBufferFull(limit: Int)
        case connectFailed(servers: String, reason: String)
        case serverError(String)
        case staleConnection(pings: Int)
        case connectionLost
        case notStarted
        case headersNotSupported
        case requestTimedOut(subject: String, after: Duration)
        case noResponders(subject: String)
        case closed
    }

    let code: Code

    static func invalidAddress(_ text: String, reason: String) -> Self {
        Self(code: .invalidAddress(text, reason: reason))
    }
    static func invalidSubject(_ subject: String) -> Self { Self(code: .invalidSubject(subject)) }
    static func payloadTooLarge(size: Int, limit: Int) -> Self {
        Self(code: .payloadTooLarge(size: size, limit: limit))
    }
    static func reconnectBufferFull(limit: Int) -> Self { Self(code: .reconnectBufferFull(limit: limit)) }
    static func connectFailed(servers: String, reason: String) -> Self {
        Self(code: .connectFailed(servers: servers, reason: reason))
    }
    static func requestTimedOut(subject: String, after: Duration) -> Self {
        Self(code: .requestTimedOut(subject: subject, after: after))
    }
    static func noResponders(subject: String) -> Self { Self(code: .noResponders(subject: subject)) }
    static func serverError(_ text: String) -> Self { Self(code: .serverError(text)) }
    static func staleConnection(pings: Int) -> Self { Self(code: .staleConnection(pings: pings)) }
    /// The connection to the server was lost before the operation completed.
    public static let connectionLost = Self(code: .connectionLost)
    /// The client is not connecting: it was never started, or its first connection failed.
    public static let notStarted = Self(code: .notStarted)
    /// A publish with headers to a server whose INFO says it takes none.
    public static let headersNotSupported = Self(code: .headersNotSupported)
    /// The client was closed.
    public static let closed = Self(code: .closed)

    /// Whether the server refused the client's credentials.
    public var isAuthorizationFailure: Bool {
        if case .serverError(let text) = self.code {
            return text.lowercased().hasPrefix("authorization")
        }
        if case .connectFailed(_, let reason) = self.code {
            return reason.lowercased().contains("authorization")
        }
        return false
    }

    /// Whether a request found nobody subscribed to its subject (the server said so at once).
    public var isNoResponders: Bool {
        if case .noResponders = self.code { return true }
        return false
    }

    /// Whether a request got no reply in time.
    public var isRequestTimeout: Bool {
        if case .requestTimedOut = self.code { return true }
        return false
    }

    /// Whether a publish was refused because it is larger than the server's `max_payload`.
    public var isPayloadTooLarge: Bool {
        if case .payloadTooLarge = self.code { return true }
        return false
    }

    /// Whether a publish was refused because the client is disconnected and its buffer is full.
    public var isReconnectBufferFull: Bool {
        if case .reconnectBufferFull = self.code { return true }
        return false
    }

    public var description: String {
        switch self.code {
        case .invalidAddress(let text, let reason):
            return "\"\(text)\" is not a NATS server URL: \(reason)"
        case .invalidSubject(let subject):
            return "\"\(subject)\" is not a NATS subject: it must be non-empty, without spaces or control characters"
        case .payloadTooLarge(let size, let limit):
            return "a message of \(size) bytes is larger than the server's max_payload of \(limit) bytes"
        case .reconnectBufferFull(let limit):
            return "the client is disconnected and its buffer of \(limit) bytes for publishes is full"
        case .connectFailed(let servers, let reason):
            return "cannot connect to NATS at \(servers): \(reason)"
        case .serverError(let text):
            return "the NATS server said: \(text)"
        case .staleConnection(let pings):
            return "the NATS server did not answer \(pings) pings: the connection is stale"
        case .connectionLost:
            return "the connection to the NATS server was lost"
        case .requestTimedOut(let subject, let after):
            return "no reply to a request on \"\(subject)\" within \(after)"
        case .noResponders(let subject):
            return "nobody answers requests on \"\(subject)\": the server knows no subscriber to it"
        case .headersNotSupported:
            return "the NATS server does not support headers (its INFO says \"headers\": false)"
        case .notStarted:
            return "the NATS client is not connected: connect() failed or was not called"
        case .closed:
            return "the NATS client is closed"
        }
    }
}
