public import CoreMetrics
public import WireFraming

/// How a ``WireServer`` listens and frames its connections.
public struct ServerConfiguration: Sendable {
    /// The host name or IP address to bind. Default `127.0.0.1`.
    public var host: String
    /// The port to bind; 0 picks a free one, reported by the server's `onListening`. Default 1234.
    public var port: Int
    /// How messages are delimited. Default: the tutorial's 10-byte ASCII header.
    public var framing: Framing
    /// The largest message accepted or sent, in bytes. Default 16 MiB.
    public var maximumMessageSize: Int
    /// The listen backlog: connections the kernel holds before they are accepted. Default: the
    /// system's maximum (``ListenBacklog/systemMaximum``), so that a storm of joins never waits
    /// for a SYN to be retried.
    public var backlog: Int
    /// Whether to set `SO_REUSEADDR`, so a restarted server can bind at once. Default `true`.
    public var reuseAddress: Bool
    /// The size of each socket read in bytes, or `nil` to adapt to the traffic. Default `nil`.
    public var readBufferSize: Int?
    /// How long open connections may go on after a graceful shutdown begins. Default 5 seconds.
    public var shutdownGracePeriod: Duration
    /// Whether each connection's handler runs on that connection's event loop thread. Default `true`.
    ///
    /// Messages then reach the handler, and its sends reach the socket, without a hop between
    /// threads: the fastest path. A handler that blocks (synchronous file or CPU-heavy work) would
    /// then hold up the other connections of its loop; set `false` to run handlers on Swift's
    /// global executor instead.
    public var runsHandlersOnEventLoop: Bool
    /// A connection with no message in either direction for this long is closed. Default 300
    /// seconds; `nil` never closes an idle connection.
    public var idleTimeout: Duration?
    /// A peer that has not completed a first message this long after connecting is closed, so that
    /// one that sends nothing, or a header a byte a minute, cannot hold a slot. Default `nil` (off),
    /// because the tutorial's clients only listen; protocols that start with a message turn it on.
    public var firstMessageTimeout: Duration?
    /// Connections served at once; the next one gets a notice (``ConnectionError/serverFull(limit:)``)
    /// in its framing and is closed. Default 16,384.
    public var maximumConnections: Int
    /// TLS for every connection (`WireTLS.server(certificateChainPath:privateKeyPath:)` from `WireSecurity`), or `nil`
    /// for plain TCP. Default `nil`.
    public var tls: (any ConnectionSecurity)?
    /// Send an empty message after this long without sending anything, so that the peer's idle
    /// timeout sees a live connection; received empty messages are then heartbeats, not messages.
    /// Needs a framing with empty messages (not raw). Default `nil` (off).
    public var heartbeatInterval: Duration?
    /// A secret every client must prove it knows (`SharedSecret` from `WireSecurity`), or `nil`.
    /// Default `nil`.
    public var secret: (any ConnectionAuthenticator)?
    /// How long the authentication handshake may take. Default 10 seconds.
    public var authenticationTimeout: Duration
    /// Where the server records its metrics (connections, bytes, framing errors); `nil`, the
    /// default, records through `MetricsSystem.factory`, which records nothing until the program
    /// bootstraps a backend.
    public var metricsFactory: (any MetricsFactory)?

    /// Creates a configuration; every parameter has the documented default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 1234,
        framing: Framing = .header(),
        maximumMessageSize: Int = MessageDecoder.defaultMaximumMessageSize,
        backlog: Int = ListenBacklog.systemMaximum,
        reuseAddress: Bool = true,
        readBufferSize: Int? = nil,
        shutdownGracePeriod: Duration = .seconds(5),
        runsHandlersOnEventLoop: Bool = true,
        idleTimeout: Duration? = .seconds(300),
        firstMessageTimeout: Duration? = nil,
        maximumConnections: Int = 16384,
        tls: (any ConnectionSecurity)? = nil,
        heartbeatInterval: Duration? = nil,
        secret: (any ConnectionAuthenticator)? = nil,
        authenticationTimeout: Duration = .seconds(10),
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        precondition(maximumConnections > 0, "maximumConnections must be positive")
        precondition((0...65535).contains(port), "port must be between 0 and 65535, got \(port)")
        precondition(backlog > 0, "backlog must be positive, got \(backlog)")
        precondition(readBufferSize.map { $0 > 0 } ?? true, "readBufferSize must be positive")
        self.host = host
        self.port = port
        self.framing = framing
        self.maximumMessageSize = maximumMessageSize
        self.backlog = backlog
        self.reuseAddress = reuseAddress
        self.readBufferSize = readBufferSize
        self.shutdownGracePeriod = shutdownGracePeriod
        self.runsHandlersOnEventLoop = runsHandlersOnEventLoop
        self.idleTimeout = idleTimeout
        self.firstMessageTimeout = firstMessageTimeout
        self.maximumConnections = maximumConnections
        self.tls = tls
        self.heartbeatInterval = heartbeatInterval
        self.secret = secret
        self.authenticationTimeout = authenticationTimeout
        self.metricsFactory = metricsFactory
    }

    /// The server's metrics on `listener`, through ``metricsFactory`` or swift-metrics' global one.
    package func metrics(listener: String) -> ServerMetrics {
        ServerMetrics(factory: self.metricsFactory ?? MetricsSystem.factory, listener: listener)
    }
}
