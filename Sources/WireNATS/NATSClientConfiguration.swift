public import Wire
public import WireSecurity

/// How a ``NATSClient`` connects, keeps its connection alive and reconnects.
public struct NATSClientConfiguration: Sendable {
    /// The servers to try, in order; the server's `connect_urls` are added as they arrive.
    public var servers: [NATSServerAddress]
    /// The client's name, shown by the server's monitoring.
    public var name: String?
    /// Whether the client receives its own publishes on its subscriptions. Default `true`.
    public var echo: Bool
    /// How often the client pings the server to learn that it is still there. Default 2 minutes.
    public var pingInterval: Duration
    /// Pings in a row without an answer, and without anything else from the server meanwhile,
    /// after which the connection is taken as dead. Default 2.
    public var maximumOutstandingPings: Int
    /// The first wait before reconnecting to a server; it doubles up to ``maximumReconnectWait``,
    /// with jitter. Default 100 ms.
    public var reconnectWait: Duration
    /// The longest wait between reconnect attempts. Default 2 seconds.
    public var maximumReconnectWait: Duration
    /// How long a TCP connect and the protocol handshake may take. Default 2 seconds.
    public var connectTimeout: Duration
    /// Bytes of publishes kept while disconnected and sent on reconnect; beyond it, publishes
    /// fail. Default 8 MiB.
    public var reconnectBufferBytes: Int
    /// Messages a subscription's sequence holds for a consumer that lags; beyond it, messages are
    /// dropped and a ``NATSClientEvent/slowConsumer(subject:dropped:)`` is reported. Default 65,536.
    public var subscriptionBufferMessages: Int
    /// Whether ``NATSClient/connect()`` keeps trying when no server answers at first, rather than
    /// failing after one round. Default `false`.
    public var retriesFirstConnect: Bool
    /// TLS for the servers that require it (their INFO says so) and `tls://` URLs; `nil` uses the
    /// system's trust store. Servers that do not ask for TLS are reached without it. Asked for its
    /// handlers at every connection, so a `ReloadableTLS` serves new connections its new files.
    public var tls: (any ConnectionSecurity)?

    public init(
        servers: [NATSServerAddress],
        name: String? = nil,
        echo: Bool = true,
        pingInterval: Duration = .seconds(120),
        maximumOutstandingPings: Int = 2,
        reconnectWait: Duration = .milliseconds(100),
        maximumReconnectWait: Duration = .seconds(2),
        connectTimeout: Duration = .seconds(2),
        reconnectBufferBytes: Int = 8 * 1024 * 1024,
        subscriptionBufferMessages: Int = 65_536,
        retriesFirstConnect: Bool = false,
        tls: (any ConnectionSecurity)? = nil
    ) {
        precondition(!servers.isEmpty, "at least one NATS server is needed")
        precondition(maximumOutstandingPings > 0, "maximumOutstandingPings must be positive")
        precondition(
            pingInterval > .zero && connectTimeout > .zero && reconnectWait > .zero,
            "intervals must be positive"
        )
        precondition(maximumReconnectWait >= reconnectWait, "maximumReconnectWait must not be below reconnectWait")
        precondition(reconnectBufferBytes >= 0 && subscriptionBufferMessages > 0, "buffer sizes must be positive")
        self.servers = servers
        self.name = name
        self.echo = echo
        self.pingInterval = pingInterval
        self.maximumOutstandingPings = maximumOutstandingPings
        self.reconnectWait = reconnectWait
        self.maximumReconnectWait = maximumReconnectWait
        self.connectTimeout = connectTimeout
        self.reconnectBufferBytes = reconnectBufferBytes
        self.subscriptionBufferMessages = subscriptionBufferMessages
        self.retriesFirstConnect = retriesFirstConnect
        self.tls = tls
    }
}
