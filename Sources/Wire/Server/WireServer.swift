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

    /// How a connection's handler left it (see ``handingOff(configuration:eventLoopGroup:logger:onListening:handler:)``).
    package enum Served: Sendable {
        /// Served to its end: what it sent is written, then it is closed.
        case finished
        /// Handed on to something on its event loop (its pipeline, a room) that closes it in time;
        /// the handler's task ends, and the connection costs no task from then on.
        case handedOff
    }

    /// The configuration the server runs with.
    public let configuration: ServerConfiguration
    private let onListening: @Sendable (SocketAddress) async -> Void
    private let server: ChildChannelServer<Child>

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
        self.init(
            configuration: configuration,
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            onListening: onListening,
            handler: .serving(handler)
        )
    }

    /// A server whose handler may hand a connection on rather than serve it to its end in its
    /// task (a chat member that is in the room: ``Served/handedOff``). The server's run then
    /// waits for such connections to close too.
    package static func handingOff(
        configuration: ServerConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "wire.server", factory: { _ in SwiftLogNoOpLogHandler() }),
        onListening: @escaping @Sendable (SocketAddress) async -> Void = { _ in },
        handler: @escaping @Sendable (WireConnection) async throws -> Served
    ) -> WireServer {
        WireServer(
            configuration: configuration,
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            onListening: onListening,
            handler: .handingOff(handler)
        )
    }

    private init(
        configuration: ServerConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "wire.server", factory: { _ in SwiftLogNoOpLogHandler() }),
        onListening: @escaping @Sendable (SocketAddress) async -> Void = { _ in },
        handler: Child.Handler
    ) {
        self.configuration = configuration
        self.onListening = onListening
        let metrics = configuration.metrics(listener: "tcp")
        self.server = ChildChannelServer(
            host: configuration.host,
            port: configuration.port,
            configuration: configuration,
            metrics: metrics,
            child: Child(
                settings: configuration.connectionSettings(metrics: metrics.connection),
                readBufferSize: configuration.readBufferSize,
                runsOnEventLoop: configuration.runsHandlersOnEventLoop,
                logger: logger,
                metrics: metrics,
                handler: handler
            ),
            eventLoopGroup: eventLoopGroup,
            logger: logger
        )
    }

    /// How many connections the server is serving now (run a server value once).
    public var openConnections: Int {
        self.server.openConnections
    }

    /// Binds, then serves connections until cancelled or gracefully shut down.
    ///
    /// Throws a ``ConnectionError`` if the address cannot be bound.
    public func run() async throws {
        try await self.server.run(onListening: self.onListening)
    }

    /// A TCP connection of Wire's: framed by ``WirePipeline``, served by the handler.
    /// A class, shared by every connection: each connection's task and its frames hold a
    /// reference, not a copy of the settings, logger, metrics and handler (1 KB more per idle
    /// connection as a struct).
    final class Child: ServerChildChannel {
        let settings: ConnectionSettings
        let readBufferSize: Int?
        let runsOnEventLoop: Bool
        let logger: Logger
        let metrics: ServerMetrics
        let handler: Handler

        /// A handler that serves every connection to its end, or one that may hand one on.
        /// Two cases rather than one wrapped in the other: a wrapper's frame would stay in every
        /// connection's task for its whole life.
        enum Handler: Sendable {
            case serving(WireServer.Handler)
            case handingOff(@Sendable (WireConnection) async throws -> Served)
        }

        init(
            settings: ConnectionSettings,
            readBufferSize: Int?,
            runsOnEventLoop: Bool,
            logger: Logger,
            metrics: ServerMetrics,
            handler: Handler
        ) {
            self.settings = settings
            self.readBufferSize = readBufferSize
            self.runsOnEventLoop = runsOnEventLoop
            self.logger = logger
            self.metrics = metrics
            self.handler = handler
        }

        func childChannelOptions(_ bootstrap: ServerBootstrap) -> ServerBootstrap {
            bootstrap
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelOption(.recvAllocator, value: WirePipeline.receiveAllocator(self.readBufferSize))
        }

        func setup(channel: any Channel) throws -> EventLoopFuture<WireChannel> {
            channel.eventLoop.makeSucceededFuture(try WirePipeline.wrap(channel, settings: self.settings))
        }

        func channel(of value: WireChannel) -> any Channel {
            value.channel
        }

        /// Kept small on purpose: an async function's frame lives in its task for the
        /// connection's whole life, so the logging (metadata, interpolation, error matching) is in
        /// synchronous functions whose temporaries live on the thread's stack for a moment instead.
        func handle(_ child: WireChannel) async {
            Self.logOpened(child, logger: self.logger)
            let handler: WireServer.Handler
            switch self.handler {
            case .serving(let serving):
                handler = serving
            case .handingOff(let handingOff):
                await self.handle(child, handingOff: handingOff)
                return
            }
            do {
                try await WirePipeline.withConnection(child, runsOnEventLoop: self.runsOnEventLoop, handler)
                Self.logClosed(child, logger: self.logger)
            } catch {
                Self.logFailure(error, child: child, logger: self.logger, metrics: self.metrics)
            }
        }

        /// A handler that may hand its connection on: in a function of its own, not inlined, so
        /// that the other kind's tasks keep the frame they had (1 KB more per idle `wire serve`
        /// connection otherwise).
        @inline(never)
        private func handle(
            _ child: WireChannel,
            handingOff handler: @Sendable (WireConnection) async throws -> Served
        ) async {
            do {
                let served = try await WirePipeline.withConnection(
                    child,
                    runsOnEventLoop: self.runsOnEventLoop,
                    keepsOpen: { $0 == .handedOff },
                    handler
                )
                switch served {
                case .finished:
                    Self.logClosed(child, logger: self.logger)
                case .handedOff where self.logger.logLevel <= .debug:
                    // Only when it is logged: an idle connection's memory is not spent on it.
                    child.channel.closeFuture.whenComplete { [logger = self.logger] _ in
                        Self.logClosed(child, logger: logger)
                    }
                case .handedOff:
                    break
                }
            } catch {
                Self.logFailure(error, child: child, logger: self.logger, metrics: self.metrics)
            }
        }

        /// Tells a connection over the limit why it is closed, in its own framing, and closes it.
        func refuse(_ child: WireChannel, because error: ConnectionError) async {
            // The refused peer may be gone before it hears why; there is nothing more to do for it.
            try? await WirePipeline.withConnection(child, runsOnEventLoop: true, authenticates: false) { connection in
                try await connection.send(error.description)
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
    }
}
