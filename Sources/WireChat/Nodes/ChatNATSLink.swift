import Foundation
import Logging
import NIOCore
import WireNATS

/// Joins a room to the same room on other nodes through NATS (docs/PROTOCOLS.md, "Many nodes").
///
/// Subjects, for a room `lobby` and a node `N`:
/// - `wire.chat.lobby.text.N.OFFSET`: texts of N's members, as a ``ChatRecordBatch`` (one burst of
///   one sender per message, split at `max_payload`); OFFSET counts the bytes of texts N has
///   published so far, for the credit of ``ChatNodeFlow``;
/// - `wire.chat.lobby.presence.N`: N's members and whether one is behind, as JSON, sent on every
///   join and leave, when that changes, and every presence interval; `hello` asks the others to
///   answer with theirs, `bye` says N is leaving; `acks` acknowledges the other nodes' texts.
///
/// One subscription to `wire.chat.lobby.>` carries both, so what one node sends reaches the others
/// in the order it was sent: a member's join before its texts, its texts in order. Publishes use
/// `echo: false`, so a node never hears itself.
final class ChatNATSLink: Sendable {
    struct Presence: Codable {
        enum Kind: String, Codable {
            case state, hello, bye
        }
        var kind: Kind
        var names: [String]
        var behind: Bool
        /// Per node, the offset of its texts this node acknowledges (see ``ChatNodeFlow``).
        var acks: [String: Int]?
        /// The offset of this node's own texts: what it has published so far.
        var published: Int?
    }

    let client: NATSClient
    let room: ChatRoom
    let node: String
    let prefix: String
    let interval: Duration
    let logger: Logger
    let onEvent: @Sendable (ChatEvent) -> Void
    /// Every decision of the link (credit, publishes in flight, split or whole), confined to the
    /// client's event loop: see ``decide(_:)``.
    let machine: NIOLoopBoundBox<ChatCoreNodeState>

    /// Presence intervals without a word from a node after which it is taken as gone.
    static let silentIntervals = 5

    init(
        configuration: ChatNATSConfiguration,
        room: ChatRoom,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        onEvent: @escaping @Sendable (ChatEvent) -> Void
    ) {
        self.onEvent = onEvent
        self.client = NATSClient(configuration: configuration.client, eventLoopGroup: eventLoopGroup, logger: logger)
        self.machine = NIOLoopBoundBox.makeBoxSendingValue(
            ChatCoreNodeState(window: configuration.window),
            eventLoop: self.client.eventLoop
        )
        self.room = room
        self.node = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        self.prefix = "wire.chat.\(configuration.room)"
        self.interval = configuration.presenceInterval
        var logger = logger
        logger[metadataKey: "chat.node"] = "\(self.node)"
        self.logger = logger
    }

    /// Links the room until cancelled.
    func run() async throws {
        // Until NATS answers, this node is on its own; its members are told when the room is whole.
        self.room.setSplit(true)
        self.room.attach { [self] output in self.send(output) }
        self.client.start()
        _ = try await self.client.subscribe(to: self.prefix + ".>") { [self] message in
            self.received(message)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in self.client.events {
                    await self.handle(event)
                }
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: self.interval)
                    self.publishPresence(.state)
                    self.later { self.expireSilentNodes() }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Says goodbye to the other nodes and closes the connection to NATS.
    func close() async {
        self.later { self.decide { $0.close() } }
        self.publishPresence(.bye)
        // A second at most: a NATS server that has stopped answering must not hold up the shutdown.
        let client = self.client
        let logger = self.logger
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await client.flush()
                } catch {
                    // The others will find this node gone when its presence stops.
                    logger.debug("could not say goodbye to the other nodes", metadata: ["error": "\(error)"])
                }
            }
            group.addTask {
                // Cancelled once the goodbye is through; otherwise closing ends the waiting flush.
                try? await Task.sleep(for: .seconds(1))
                await client.close()
            }
            await group.next()
            group.cancelAll()
        }
        await self.client.close()
        self.logger.debug("closed the link to the other nodes")
    }

    // MARK: Out

    /// Runs `body` on the client's event loop, after everything submitted before it. Everything
    /// the link sends goes through here, never inline, so that one member's join, texts and leave
    /// go out in the order they happened, whichever thread they come from.
    func later(_ body: @escaping @Sendable () -> Void) {
        self.client.eventLoop.execute(body)
    }

    /// What the room tells the other nodes; for a member's texts, a future that completes once
    /// they are counted against the window (and the senders held, if it is full).
    func send(_ output: ChatRoomOutput) -> EventLoopFuture<Void>? {
        switch output {
        case .texts(let name, let texts, _):
            return self.publishTexts(name: name, texts: texts)
        case .joined, .left, .behindChanged:
            self.publishPresence(.state)
            return nil
        }
    }

    /// Counts the texts against the window and publishes them in order, on the client's loop
    /// (handed over from the sender's own task, in the order it sent them); the future completes
    /// once that is done, so that the sender's next burst sees a hold it calls for.
    func publishTexts(name: String, texts: [ByteBuffer]) -> EventLoopFuture<Void> {
        self.client.eventLoop.submit {
            let limit = self.machine.value.maximumPayload
            let (batches, tooLarge) = ChatRecordBatch.encode(name: name, texts: texts, limit: limit)
            for size in tooLarge {
                self.logger.warning(
                    "a text is too large for NATS and reaches this node only",
                    metadata: ["chat.user": "\(name)", "chat.bytes": "\(size)", "nats.max_payload": "\(limit)"]
                )
            }
            guard !batches.isEmpty else { return }
            var offsets: [Int] = []
            self.decide { state in
                let (actions, published) = state.publishingTexts(sizes: batches.map(\.readableBytes))
                offsets = published
                return actions
            }
            for (batch, offset) in zip(batches, offsets) {
                // The offset in the subject lets the other nodes acknowledge what they took.
                self.publish(batch, to: "\(self.prefix).text.\(self.node).\(offset)")
            }
        }
    }

    /// Publishes on the client's loop, counting what NATS has not taken yet.
    func publish(_ payload: ByteBuffer, to subject: String) {
        self.decide { $0.publishing() }
        self.client.publishSoon(payload, to: subject).hop(to: self.client.eventLoop).whenComplete { result in
            switch result {
            case .success: self.decide { $0.published() }
            case .failure(let error): self.decide { $0.published(error: "\(error)") }
            }
        }
    }

    /// Tells the other nodes who is here and whether one is behind. Read and sent on the client's
    /// loop, so the last one sent says what is true now.
    func publishPresence(_ kind: Presence.Kind) {
        self.later {
            // After the goodbye, another word would bring this node back on the others.
            guard kind == .bye || !self.machine.value.isClosing else { return }
            let isBehind = kind != .bye && self.room.isBehind
            let (acks, published) = self.machine.value.presence(isBehind: isBehind)
            let presence = Presence(
                kind: kind,
                names: kind == .bye ? [] : self.room.usernames,
                behind: isBehind,
                acks: acks,
                published: published
            )
            do {
                let json = try JSONEncoder().encode(presence)
                self.publish(ByteBuffer(bytes: json), to: "\(self.prefix).presence.\(self.node)")
            } catch {
                self.logger.error("cannot encode presence", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Runs `body` on the machine and carries out the actions it returns; on the client's loop.
    func decide(_ body: (inout ChatCoreNodeState) -> [ChatCoreNodeState.Action]) {
        self.client.eventLoop.preconditionInEventLoop()
        for action in body(&self.machine.value) {
            switch action {
            case .holdForWindow(let isHeld, let decision):
                self.room.setWindowHold(isHeld, decision: decision)
            case .holdForOutbound(let isHeld):
                self.room.setOutboundHold(isHeld)
            case .publishPresence:
                self.publishPresence(.state)
            case .logPublishFailures(let count, let error):
                self.logger.warning(
                    "texts did not reach the other nodes",
                    metadata: ["error": "\(error)", "chat.failures": "\(count)"]
                )
            case .split(let reason, let isNews):
                self.room.setSplit(true)
                if isNews {
                    self.logger.info("the room is split: NATS is out of reach", metadata: ["nats.reason": "\(reason)"])
                    self.onEvent(.roomSplit(reason: reason))
                }
            case .whole(let server):
                self.logger.info(
                    "the room is whole: linked to the other nodes through NATS",
                    metadata: ["nats.server": "\(server)"]
                )
                self.room.setSplit(false)
                self.onEvent(.roomWhole(server: server))
                self.publishPresence(.hello)
            }
        }
    }
}
