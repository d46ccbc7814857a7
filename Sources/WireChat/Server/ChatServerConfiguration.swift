public import Wire
public import WireFraming

/// How a ``ChatServer`` listens and protects its room.
public struct ChatServerConfiguration: Sendable {
    /// Where to listen and how to frame; by default the tutorial's 127.0.0.1:1234 with a 10-byte
    /// header, a username due within 10 seconds of connecting, and an hour's idle timeout.
    public var server: ServerConfiguration
    /// The longest username, in bytes. Default 32.
    public var maximumUsernameBytes: Int
    /// A member with records waiting whose socket accepts nothing for this long is evicted, with
    /// a notice. Default 5 seconds.
    public var stallTimeout: Duration
    /// Bytes that may wait for one member before it is evicted: a safety net under the stall
    /// timeout. Default 64 MiB.
    public var maximumQueuedBytes: Int
    /// Bytes waiting for one member above which the other members' texts wait (and their sockets
    /// are not read) until it is back under half of this. Default 1 MiB; never more than half of
    /// ``maximumQueuedBytes``.
    public var pauseQueuedBytes: Int
    /// Where browsers join: the host of the web port. Default `127.0.0.1`.
    public var webHost: String
    /// The port that serves the chat page at `/` and takes WebSocket members at `/chat`, or `nil`
    /// for no web door (the default); 0 picks a free port.
    public var webPort: Int?
    /// Whether every text received is reported as ``ChatEvent/received(username:text:)``. Default
    /// `false`: decoding every text costs time in a busy room.
    public var reportsTexts: Bool
    /// How many past texts a newcomer receives first. Default 0.
    public var historySize: Int
    /// How many past texts the room keeps for members that come back after a lost connection
    /// (Wire's own clients, with a hello); at most 8 MiB of them. Default 1000.
    public var resumeLogSize: Int
    /// Whether joins and leaves are announced; `false` makes a byte-for-byte tutorial room. Default `true`.
    public var announcesMembership: Bool
    /// Other nodes to share the room with through NATS, or `nil` for a room on this node only (the
    /// default).
    public var nats: ChatNATSConfiguration?
    /// More pages of the web port, by path (`/metrics`, `/healthz`: the program's own), answered
    /// to GET and HEAD at each request. Default none.
    public var webPages: [String: @Sendable () -> ChatWebResponse] = [:]

    /// Creates a configuration; every parameter has the documented default.
    public init(
        server: ServerConfiguration = ServerConfiguration(
            framing: .header(),
            idleTimeout: .seconds(3600),
            firstMessageTimeout: .seconds(10)
        ),
        maximumUsernameBytes: Int = 32,
        stallTimeout: Duration = .seconds(5),
        maximumQueuedBytes: Int = 64 * 1024 * 1024,
        pauseQueuedBytes: Int = 1024 * 1024,
        historySize: Int = 0,
        resumeLogSize: Int = 1000,
        announcesMembership: Bool = true,
        reportsTexts: Bool = false,
        webHost: String = "127.0.0.1",
        webPort: Int? = nil,
        nats: ChatNATSConfiguration? = nil
    ) {
        precondition(maximumUsernameBytes > 0, "maximumUsernameBytes must be positive")
        precondition(stallTimeout > .zero, "stallTimeout must be positive")
        precondition(pauseQueuedBytes > 0, "pauseQueuedBytes must be positive")
        precondition(maximumQueuedBytes > 0, "maximumQueuedBytes must be positive")
        precondition(historySize >= 0, "historySize must not be negative")
        self.server = server
        self.maximumUsernameBytes = maximumUsernameBytes
        self.stallTimeout = stallTimeout
        self.maximumQueuedBytes = maximumQueuedBytes
        self.pauseQueuedBytes = pauseQueuedBytes
        self.reportsTexts = reportsTexts
        self.webHost = webHost
        self.webPort = webPort
        self.historySize = historySize
        self.resumeLogSize = max(0, resumeLogSize)
        self.announcesMembership = announcesMembership
        self.nats = nats
    }
}
