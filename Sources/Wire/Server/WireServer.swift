import CoreMetrics
public import Logging
public import NIOCore
public import NIOPosix
public import ServiceLifecycle
import WireFraming

/// A TCP server that serves every connection concurrently, with whole messages.
///
/// `WireServer` is a swift-service-lifecycle `Service`: run it in a `ServiceGroup`, and a graceful
/// shutdown (SIGINT or SIGTERM there) closes the listener at once and gives open connections
/// ``ServerConfiguration/shutdownGracePeriod`` to finish before they are closed.
///
/// ```swift
/// let server = WireServer(configuration: ServerConfiguration(port: 0)) { connection in
///     for try await message in connection.messages {
///         try await connection.send(message)
///     }
/// }
/// try await server.run()
/// ```
///
/// The handler runs once per connection. When it returns, what it sent is written and the connection
/// closed. When it throws, the error is logged and only that connection is closed: one failing
/// connection never affects the others.
public struct WireServer: Service {
    /// Serves one connection.
    public typealias Handler = @Sendable (WireConnection) async throws -> Void

    /// The configuration the server runs with.
    public let configuration: ServerConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let onListening: @Sendable (SocketAddress) async -> Void
    private let handler: Handler
    private let connections = ConnectionRegistry()
    private let metrics: ServerMetrics

    /// Creates a server.
    ///
    /// - Parameters:
    ///   - configuration: Where to listen and how to frame messages.
    ///   - eventLoopGroup: The event loops to run on; NIO's shared group by default.
    ///   - logger: Receives connection events at `debug` and errors at `info`.
    ///   - onListening: Called once with the bound address, which tells the port when 0 was asked.
    ///   - handler: Serves each connection.
    public init(
        configuration: ServerConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "wire.server", factory: { _ in SwiftLogNoOpLogHandler() }),
        onListening: @escaping @Sendable (SocketAddress) async -> Void = { _ in },
        handler: @escaping Handler
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onListening = onListening
        self.handler = handler
        self.metrics = configuration.metrics(listener: "tcp")
    }

    /// How many connections the server is serving now (run a server value once).
    public var openConnections: Int {
        self.connections.count
    }

    /// Binds, then serves connections until cancelled or gracefully shut down.
    ///
    /// Throws a ``ConnectionError`` if the address cannot be bound.
    public func run() async throws {
        let serverChannel = try await self.bind()
        let address = serverChannel.channel.localAddress
        if let address {
            self.logger.debug("listening", metadata: ["local.address": "\(address.endpointDescription)"])
            await self.onListening(address)
        }
        let connections = self.connections
        let gracePeriod = self.configuration.shutdownGracePeriod
        let runsOnEventLoop = self.configuration.runsHandlersOnEventLoop
        let metrics = self.metrics
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await serverChannel.executeThenClose { inbound in
                    for try await child in inbound {
                        guard connections.insert(child.channel, limit: self.configuration.maximumConnections) else {
                            group.addTask { await self.refuse(child) }
                            continue
                        }
                        // The task captures what serving needs, not the whole server and its
                        // configuration: its context lives as long as the connection.
                        metrics.accepted.increment()
                        metrics.open.increment()
                        group.addTask { [logger = self.logger, handler = self.handler] in
                            defer {
                                connections.remove(child.channel)
                                metrics.open.decrement()
                            }
                            await Self.serve(
                                child,
                                runsOnEventLoop: runsOnEventLoop,
                                logger: logger,
                                metrics: metrics,
                                handler: handler
                            )
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            // Stop accepting at once; let open connections finish what is in flight, but not forever.
            serverChannel.channel.close(promise: nil)
            connections.closeAll(after: gracePeriod)
        }
        self.logger.debug("stopped listening")
    }

    private func bind() async throws -> NIOAsyncChannel<WireChannel, Never> {
        let configuration = self.configuration
        let bootstrap = ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(.backlog, value: Int32(clamping: configuration.backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: configuration.reuseAddress ? 1 : 0)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.recvAllocator, value: WirePipeline.receiveAllocator(configuration.readBufferSize))
        let settings = configuration.connectionSettings(metrics: self.metrics.connection)
        do {
            return try await bootstrap.bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try WirePipeline.wrap(channel, settings: settings)
                }
            }
        } catch {
            throw ConnectionError.bindFailed(
                host: configuration.host,
                port: configuration.port,
                reason: SystemError.phrase(error)
            )
        }
    }

    /// Serves one connection; never throws, so one connection's failure stays its own.
    ///
    /// Kept small on purpose: an async function's frame lives in its task for the connection's
    /// whole life, so the logging (metadata, interpolation, error matching) is in synchronous
    /// functions whose temporaries live on the thread's stack for a moment instead.
    private static func serve(
        _ child: WireChannel,
        runsOnEventLoop: Bool,
        logger: Logger,
        metrics: ServerMetrics,
        handler: Handler
    ) async {
        Self.logOpened(child, logger: logger)
        do {
            try await WirePipeline.withConnection(child, runsOnEventLoop: runsOnEventLoop, handler)
            Self.logClosed(child, logger: logger)
        } catch {
            Self.logFailure(error, child: child, logger: logger, metrics: metrics)
        }
    }

    private static func logOpened(_ child: WireChannel, logger: Logger) {
        logger.debug("connection opened", metadata: ["peer.address": "\(child.peer ?? "unknown")"])
    }

    private static func logClosed(_ child: WireChannel, logger: Logger) {
        logger.debug("connection closed", metadata: ["peer.address": "\(child.peer ?? "unknown")"])
    }

    private static func logFailure(_ error: any Error, child: WireChannel, logger: Logger, metrics: ServerMetrics) {
        let metadata: Logger.Metadata = ["peer.address": "\(child.peer ?? "unknown")", "error": "\(error)"]
        if let error = error as? ConnectionError, error.isAuthenticationFailure {
            metrics.refusedAuthentication.increment()
            // Worth an operator's attention: someone without the secret knocked.
            logger.warning("a peer failed the shared-secret handshake", metadata: metadata)
        } else {
            logger.info("connection closed with an error", metadata: metadata)
        }
    }

    /// Tells a connection over the limit why it is closed, in its own framing, and closes it.
    private func refuse(_ child: WireChannel) async {
        let error = ConnectionError.serverFull(limit: self.configuration.maximumConnections)
        self.metrics.refusedFull.increment()
        self.logger.warning(
            "refused a connection",
            metadata: [
                "peer.address": "\(child.channel.remoteAddress?.endpointDescription ?? "unknown")",
                "reason": "\(error)",
            ]
        )
        // The refused peer may be gone before it hears why; there is nothing more to do for it.
        try? await WirePipeline.withConnection(child, runsOnEventLoop: true, authenticates: false) { connection in
            try await connection.send(error.description)
        }
    }
}
