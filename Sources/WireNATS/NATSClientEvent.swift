/// What happens to a ``NATSClient``'s connection, for a program to log or act on.
public enum NATSClientEvent: Sendable, Hashable {
    /// The first connection is up.
    case connected(NATSServerAddress)
    /// An attempt to connect to `server` failed; the client tries again (or, for a first
    /// ``NATSClient/connect()`` without retries, gives up after every server has failed once).
    case connectionAttemptFailed(NATSServerAddress, reason: String)
    /// The connection was lost; the client reconnects by itself.
    case disconnected(reason: String)
    /// A new connection is up after a loss; subscriptions are back and buffered publishes sent.
    case reconnected(NATSServerAddress)
    /// The server is in lame-duck mode: it will close soon and the client will move to another.
    case lameDuckMode(NATSServerAddress)
    /// The server reported an error that does not end the connection (an invalid subject, a
    /// permissions violation).
    case serverError(String)
    /// A subscription's buffer was full, so the server's messages were dropped.
    case slowConsumer(subject: String, dropped: Int)
    /// A publish buffered while disconnected could not be sent, and was dropped.
    case publishDropped(subject: String, reason: String)
    /// The client is closed.
    case closed
}
