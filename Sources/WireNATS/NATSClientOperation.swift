public import NIOCore

/// What a NATS client sends a server, written in the protocol's text form.
public enum NATSClientOperation: Hashable, Sendable {
    /// `CONNECT {...}`: the client's options, as JSON.
    case connect(String)
    /// `PUB` (or `HPUB` with headers): a message to a subject.
    case publish(subject: String, replyTo: String?, headers: ByteBuffer?, payload: ByteBuffer)
    /// `SUB subject [queue] sid`.
    case subscribe(subject: String, queueGroup: String?, subscriptionID: String)
    /// `UNSUB sid [max]`.
    case unsubscribe(subscriptionID: String, afterMessages: Int?)
    /// `PING`.
    case ping
    /// `PONG`.
    case pong

    /// Appends the operation's bytes to `buffer`.
    public func write(into buffer: inout ByteBuffer) {
        switch self {
        case .connect(let json):
            buffer.writeString("CONNECT \(json)\r\n")
        case .publish(let subject, let replyTo, let headers, let payload):
            let reply = replyTo.map { " \($0)" } ?? ""
            if let headers {
                buffer.writeString(
                    "HPUB \(subject)\(reply) \(headers.readableBytes) \(headers.readableBytes + payload.readableBytes)\r\n"
                )
                buffer.writeImmutableBuffer(headers)
            } else {
                buffer.writeString("PUB \(subject)\(reply) \(payload.readableBytes)\r\n")
            }
            buffer.writeImmutableBuffer(payload)
            buffer.writeString("\r\n")
        case .subscribe(let subject, let queueGroup, let subscriptionID):
            buffer.writeString("SUB \(subject)\(queueGroup.map { " \($0)" } ?? "") \(subscriptionID)\r\n")
        case .unsubscribe(let subscriptionID, let afterMessages):
            buffer.writeString("UNSUB \(subscriptionID)\(afterMessages.map { " \($0)" } ?? "")\r\n")
        case .ping:
            buffer.writeString("PING\r\n")
        case .pong:
            buffer.writeString("PONG\r\n")
        }
    }
}
