/// What happens in a chat room, for a program to print or log.
public enum ChatEvent: Sendable {
    /// A client joined (`Accepted new connection from IP:PORT, username: NAME`).
    case accepted(peer: String, username: String)
    /// A member sent a text (`Received message from NAME: TEXT`).
    case received(username: String, text: String)
    /// A member left (`Closed connection from: NAME`).
    case closed(username: String)
    /// A member was evicted: it read nothing for the stall timeout, or too much waited for it.
    case dropped(username: String, reason: ChatError)
    /// A client was refused before joining.
    case refused(peer: String, reason: ChatError)
    /// A connection ended with an error.
    case failed(peer: String, username: String?, error: any Error)
    /// The room spans several nodes and this one is cut off from them (NATS is out of reach).
    case roomSplit(reason: String)
    /// This node is linked to the other nodes of the room through the NATS server at `server`.
    case roomWhole(server: String)
    /// The room is kept in a JetStream stream (its name, where and how long it keeps texts).
    case roomStream(description: String)
    /// The NATS server offers no JetStream: the room is linked over core NATS, which keeps nothing.
    case jetStreamUnavailable(server: String)
}
