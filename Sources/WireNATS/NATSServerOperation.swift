public import NIOCore

/// What a NATS server sends a client, one protocol operation at a time.
///
/// See the NATS client protocol: `INFO`, `MSG`, `HMSG`, `PING`, `PONG`, `+OK` and `-ERR`.
public enum NATSServerOperation: Hashable, Sendable {
    /// `INFO {...}`: the server's description, as JSON (sent on connect and whenever it changes).
    case info(ByteBuffer)
    /// `MSG` or `HMSG`: a message for one of the client's subscriptions.
    case message(NATSMessage)
    /// `PING`: the client must answer `PONG`.
    case ping
    /// `PONG`: the answer to the client's `PING`.
    case pong
    /// `+OK`: an acknowledgement (only in verbose mode).
    case ok
    /// `-ERR '...'`: an error, with the server's text.
    case error(String)
}

/// A message delivered by the server.
public struct NATSMessage: Hashable, Sendable {
    /// The subject it was published to.
    public var subject: String
    /// The subscription it is delivered for.
    public var subscriptionID: String
    /// Where the publisher wants a reply, if anywhere.
    public var replyTo: String?
    /// The headers block (`NATS/1.0 ...` and the header lines, up to and including the blank line)
    /// of an `HMSG`, or `nil` for a `MSG`.
    public var headers: ByteBuffer?
    /// The payload.
    public var payload: ByteBuffer

    public init(
        subject: String,
        subscriptionID: String,
        replyTo: String? = nil,
        headers: ByteBuffer? = nil,
        payload: ByteBuffer
    ) {
        self.subject = subject
        self.subscriptionID = subscriptionID
        self.replyTo = replyTo
        self.headers = headers
        self.payload = payload
    }
}
