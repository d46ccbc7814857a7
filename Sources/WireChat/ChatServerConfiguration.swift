public import Wire
public import WireFraming

/// How a ``ChatServer`` listens and protects its room.
public struct ChatServerConfiguration: Sendable {
    /// Where to listen and how to frame; by default the tutorial's 127.0.0.1:1234 with a 10-byte
    /// header, a username due within 10 seconds of connecting, and an hour's idle timeout.
    public var server: ServerConfiguration
    /// The longest username, in bytes. Default 32.
    public var maximumUsernameBytes: Int
    /// Frames that may wait for one client before it is dropped (a record is two frames). Default 8192.
    public var maximumQueuedMessages: Int
    /// Bytes that may wait for one client before it is dropped. Default 4 MiB.
    public var maximumQueuedBytes: Int
    /// How many past texts a newcomer receives first. Default 0.
    public var historySize: Int
    /// Whether joins and leaves are announced; `false` makes a byte-for-byte tutorial room. Default `true`.
    public var announcesMembership: Bool

    /// Creates a configuration; every parameter has the documented default.
    public init(
        server: ServerConfiguration = ServerConfiguration(
            framing: .header(),
            idleTimeout: .seconds(3600),
            firstMessageTimeout: .seconds(10)
        ),
        maximumUsernameBytes: Int = 32,
        maximumQueuedMessages: Int = 8192,
        maximumQueuedBytes: Int = 4 * 1024 * 1024,
        historySize: Int = 0,
        announcesMembership: Bool = true
    ) {
        precondition(maximumUsernameBytes > 0, "maximumUsernameBytes must be positive")
        precondition(maximumQueuedMessages >= 2, "maximumQueuedMessages must hold at least one record")
        precondition(maximumQueuedBytes > 0, "maximumQueuedBytes must be positive")
        precondition(historySize >= 0, "historySize must not be negative")
        self.server = server
        self.maximumUsernameBytes = maximumUsernameBytes
        self.maximumQueuedMessages = maximumQueuedMessages
        self.maximumQueuedBytes = maximumQueuedBytes
        self.historySize = historySize
        self.announcesMembership = announcesMembership
    }
}

/// What happens in a chat room, for a program to print or log.
public enum ChatEvent: Sendable {
    /// A client joined (`Accepted new connection from IP:PORT, username: NAME`).
    case accepted(peer: String, username: String)
    /// A member sent a text (`Received message from NAME: TEXT`).
    case received(username: String, text: String)
    /// A member left (`Closed connection from: NAME`).
    case closed(username: String)
    /// A member was dropped because it did not read.
    case dropped(username: String, reason: ChatError)
    /// A client was refused before joining.
    case refused(peer: String, reason: ChatError)
    /// A connection ended with an error.
    case failed(peer: String, username: String?, error: any Error)
}
