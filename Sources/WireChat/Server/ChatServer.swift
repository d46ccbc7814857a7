public import Logging
public import NIOCore
public import NIOPosix
public import ServiceLifecycle
import Wire
import WireFraming

/// The tutorial's chat room as a server people can deploy (docs/PROTOCOLS.md §4).
///
/// The first frame from a client is its username; every later frame is a text, relayed to every
/// other member as two frames (username, text), never back to the sender. On top of the tutorial:
/// bad usernames are refused with a notice, joins and leaves are announced by
/// ``ChatRoom/serverName`` (unless turned off), `/who` lists who is online, `/quit` leaves. No
/// member that keeps reading ever loses a record: when one falls behind, the others' texts wait
/// for it (flow control, see ``ChatRoom``); one that reads nothing for the stall timeout is
/// evicted with a notice, and the others go on.
///
/// ```swift
/// let server = ChatServer(configuration: ChatServerConfiguration()) { event in print(event) }
/// try await server.run()
/// ```
public struct ChatServer: Service {
    /// The room every client joins.
    public let room: ChatRoom
    /// The configuration the server runs with.
    public let configuration: ChatServerConfiguration
    private let server: WireServer
    private let eventLoopGroup: any EventLoopGroup
    private let web: ChatWebServer?
    private let links: ChatNodeLinks?
    /// Says when the TCP port is bound, so that the link to other nodes starts after it (and its
    /// first words come after "Listening on").
    private let listening: AsyncStream<Void>

    /// Creates a chat server.
    ///
    /// - Parameters:
    ///   - configuration: Where to listen, the limits and the room's options.
    ///   - eventLoopGroup: The event loops to run on; NIO's shared group by default.
    ///   - logger: Receives connection events.
    ///   - onListening: Called once with the bound address.
    ///   - onEvent: Called for every join, leave, eviction and refusal (and text, if
    ///     ``ChatServerConfiguration/reportsTexts``).
    public init(
        configuration: ChatServerConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "wire.chat", factory: { _ in SwiftLogNoOpLogHandler() }),
        onListening: @escaping @Sendable (SocketAddress) async -> Void = { _ in },
        onWebListening: @escaping @Sendable (SocketAddress) async -> Void = { _ in },
        onEvent: @escaping @Sendable (ChatEvent) -> Void = { _ in }
    ) {
        let room = ChatRoom(configuration: configuration)
        self.room = room
        // Every event is counted where it is told (refusals, evictions, the link's state).
        let onEvent: @Sendable (ChatEvent) -> Void = { [metrics = room.metrics, onEvent] event in
            metrics.record(event)
            onEvent(event)
        }
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.web = configuration.webPort.map { port in
            ChatWebServer(
                host: configuration.webHost,
                port: port,
                room: room,
                configuration: configuration,
                eventLoopGroup: eventLoopGroup,
                logger: logger,
                onListening: onWebListening,
                onEvent: onEvent
            )
        }
        let (listening, listened) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.listening = listening
        self.links = configuration.nats.map { nats in
            ChatNodeLinks(
                configuration: nats,
                room: room,
                eventLoopGroup: eventLoopGroup,
                logger: logger,
                onEvent: onEvent
            )
        }
        self.server = WireServer.handingOff(
            configuration: configuration.server,
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            onListening: { address in
                await onListening(address)
                listened.yield()
                listened.finish()
            },
            handler: { connection in
                await Self.serve(connection, room: room, configuration: configuration, onEvent: onEvent)
            }
        )
    }

    /// How many connections the server is serving now, members or not.
    public var openConnections: Int {
        self.server.openConnections
    }

    /// Serves the room until cancelled or gracefully shut down. A graceful shutdown tells every
    /// member so with a notice and closes each one once what was queued for it is written.
    public func run() async throws {
        let stallWatch = self.room.watchForStalls(on: self.eventLoopGroup.next())
        defer { stallWatch.cancel() }
        let room = self.room
        let link = self.links
        try await withGracefulShutdownHandler {
            // The web door and the link to other nodes live as long as the TCP server: when that
            // ends, so do they.
            try await withThrowingTaskGroup(of: Bool.self) { group in
                // The web port stops listening at the graceful shutdown's start, as the TCP port
                // does; the room ends when the TCP server has let its connections go.
                if let web = self.web {
                    group.addTask {
                        try await web.run()
                        return false
                    }
                }
                if let link {
                    group.addTask {
                        for await _ in self.listening { break }
                        try Task.checkCancellation()
                        try await link.run()
                        return false
                    }
                }
                group.addTask {
                    try await self.server.run()
                    return true
                }
                while let isTheTCPServer = try await group.next(), !isTheTCPServer {}
                group.cancelAll()
            }
            await link?.close()
        } onGracefulShutdown: {
            room.shutDown()
        }
    }
}
