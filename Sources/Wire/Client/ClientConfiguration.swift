public import WireFraming

/// How a client connects and frames its connection.
public struct ClientConfiguration: Sendable {
    /// How messages are delimited. Default: the tutorial's 10-byte ASCII header.
    public var framing: Framing
    /// The largest message accepted or sent, in bytes. Default 16 MiB.
    public var maximumMessageSize: Int
    /// How long to wait for the connection to be established. Default 10 seconds.
    public var connectTimeout: Duration
    /// The size of each socket read in bytes (the tutorial's `recv(N)`), or `nil` to adapt. Default `nil`.
    public var readBufferSize: Int?
    /// Whether the body of `withConnection` runs on the connection's event loop thread. Default `true`.
    ///
    /// The fastest path, as for ``ServerConfiguration/runsHandlersOnEventLoop``; set `false` if
    /// the body blocks.
    public var runsOnEventLoop: Bool
    /// A connection with no message in either direction for this long is closed. Default `nil`
    /// (a client decides for itself how long to wait).
    public var idleTimeout: Duration?
    /// TLS (`WireTLS.client(trustedCertificatesPath:verifiesCertificates:serverHostname:)` from `WireSecurity`), or
    /// `nil` for plain TCP. Default `nil`.
    public var tls: (any ConnectionSecurity)?
    /// Send an empty message after this long without sending anything (see
    /// ``ServerConfiguration/heartbeatInterval``). Default `nil` (off).
    public var heartbeatInterval: Duration?
    /// A secret to prove, and to check that the server knows (`SharedSecret` from `WireSecurity`),
    /// or `nil`. Default `nil`.
    public var secret: (any ConnectionAuthenticator)?
    /// How long the authentication handshake may take. Default 10 seconds.
    public var authenticationTimeout: Duration

    /// Creates a configuration; every parameter has the documented default.
    public init(
        framing: Framing = .header(),
        maximumMessageSize: Int = MessageDecoder.defaultMaximumMessageSize,
        connectTimeout: Duration = .seconds(10),
        readBufferSize: Int? = nil,
        runsOnEventLoop: Bool = true,
        idleTimeout: Duration? = nil,
        tls: (any ConnectionSecurity)? = nil,
        heartbeatInterval: Duration? = nil,
        secret: (any ConnectionAuthenticator)? = nil,
        authenticationTimeout: Duration = .seconds(10)
    ) {
        precondition(readBufferSize.map { $0 > 0 } ?? true, "readBufferSize must be positive")
        self.framing = framing
        self.maximumMessageSize = maximumMessageSize
        self.connectTimeout = connectTimeout
        self.readBufferSize = readBufferSize
        self.runsOnEventLoop = runsOnEventLoop
        self.idleTimeout = idleTimeout
        self.tls = tls
        self.heartbeatInterval = heartbeatInterval
        self.secret = secret
        self.authenticationTimeout = authenticationTimeout
    }
}
