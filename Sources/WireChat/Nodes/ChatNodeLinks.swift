import Logging
import NIOCore
import Synchronization

/// Links a room to its other nodes: in a JetStream stream when the NATS server has JetStream and
/// the configuration asks for it (the default), over core NATS otherwise.
final class ChatNodeLinks: Sendable {
    enum Active {
        case stream(ChatStreamLink)
        case core(ChatNATSLink)
    }

    let configuration: ChatNATSConfiguration
    let room: ChatRoom
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let onEvent: @Sendable (ChatEvent) -> Void
    let active = Mutex<Active?>(nil)

    init(
        configuration: ChatNATSConfiguration,
        room: ChatRoom,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        onEvent: @escaping @Sendable (ChatEvent) -> Void
    ) {
        self.configuration = configuration
        self.room = room
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onEvent = onEvent
    }

    /// Links the room until cancelled.
    func run() async throws {
        if self.configuration.usesJetStream {
            let stream = ChatStreamLink(
                configuration: self.configuration,
                room: self.room,
                eventLoopGroup: self.eventLoopGroup,
                logger: self.logger,
                onEvent: self.onEvent
            )
            self.active.withLock { $0 = .stream(stream) }
            switch try await stream.run() {
            case nil:
                return
            case .noJetStream(let server):
                self.logger.warning(
                    "the NATS server offers no JetStream: linking the room over core NATS",
                    metadata: ["nats.server": "\(server)"]
                )
                self.onEvent(.jetStreamUnavailable(server: server))
            }
        }
        let core = ChatNATSLink(
            configuration: self.configuration,
            room: self.room,
            eventLoopGroup: self.eventLoopGroup,
            logger: self.logger,
            onEvent: self.onEvent
        )
        self.active.withLock { $0 = .core(core) }
        try await core.run()
    }

    /// Says goodbye to the other nodes and closes the connection to NATS.
    func close() async {
        switch self.active.withLock({ $0 }) {
        case .stream(let link): await link.close()
        case .core(let link): await link.close()
        case nil: break
        }
    }
}
