import Foundation
import Logging
import NIOCore
import Synchronization
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
    /// The server's `max_payload`, once known.
    let maximumPayload = Atomic<Int>(1024 * 1024)
    /// Publishes handed to the client and not yet taken by its connection, and whether the room's
    /// senders are held for them.
    let outstanding = Mutex<(count: Int, isHeld: Bool)>((0, false))
    let failures = Atomic<Int>(0)
    /// Credit between the nodes.
    let flow: Mutex<ChatNodeFlow>
    /// Set once the node says goodbye: nothing but the goodbye may follow it.
    let isClosing = Atomic<Bool>(false)
    /// Connection attempts that failed since the last success.
    let failedAttempts = Atomic<Int>(0)
    /// Whether the last thing said of the room is that it is split.
    let saidSplit = Atomic<Bool>(false)

    /// Presence intervals without a word from a node after which it is taken as gone.
    static let silentIntervals = 5

    /// Publishes in flight above which this node's senders wait for NATS to take them.
    static let outstandingLimit = 64

    init(
        configuration: ChatNATSConfiguration,
        room: ChatRoom,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        onEvent: @escaping @Sendable (ChatEvent) -> Void
    ) {
        self.onEvent = onEvent
        self.flow = Mutex(ChatNodeFlow(window: configuration.window))
        self.client = NATSClient(configuration: configuration.client, eventLoopGroup: eventLoopGroup, logger: logger)
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
                    self.expireSilentNodes()
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Says goodbye to the other nodes and closes the connection to NATS.
    func close() async {
        self.isClosing.store(true, ordering: .relaxed)
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

    func send(_ output: ChatRoomOutput) {
        switch output {
        case .texts(let name, let texts, _):
            self.publishTexts(name: name, texts: texts)
        case .joined, .left, .behindChanged:
            self.publishPresence(.state)
        }
    }

    /// Counts the texts against the window at once, on the sender's own task (so that a sender
    /// that reaches the window waits before its next burst), and publishes them in order.
    func publishTexts(name: String, texts: [ByteBuffer]) {
        let limit = self.maximumPayload.load(ordering: .relaxed)
        let (batches, tooLarge) = ChatRecordBatch.encode(name: name, texts: texts, limit: limit)
        for size in tooLarge {
            self.logger.warning(
                "a text is too large for NATS and reaches this node only",
                metadata: ["chat.user": "\(name)", "chat.bytes": "\(size)", "nats.max_payload": "\(limit)"]
            )
        }
        guard !batches.isEmpty else { return }
        let (offsets, decision) = self.flow.withLock { flow in
            (batches.map { flow.publish(bytes: $0.readableBytes) }, flow.decide())
        }
        if decision.mustHold {
            self.room.setWindowHold(true, decision: decision.number)
        }
        self.later {
            for (batch, offset) in zip(batches, offsets) {
                // The offset in the subject lets the other nodes acknowledge what they took.
                self.publish(batch, to: "\(self.prefix).text.\(self.node).\(offset)")
            }
        }
    }

    func publish(_ payload: ByteBuffer, to subject: String) {
        let hold = self.outstanding.withLock { state -> Bool in
            state.count += 1
            guard state.count > Self.outstandingLimit, !state.isHeld else { return false }
            state.isHeld = true
            return true
        }
        if hold { self.room.setOutboundHold(true) }
        self.client.publishSoon(payload, to: subject).whenComplete { result in
            if case .failure(let error) = result {
                self.publishFailed(error)
            }
            let release = self.outstanding.withLock { state -> Bool in
                state.count -= 1
                guard state.count == 0, state.isHeld else { return false }
                state.isHeld = false
                return true
            }
            if release { self.room.setOutboundHold(false) }
        }
    }

    /// Tells the other nodes who is here and whether one is behind. Read and sent on the client's
    /// loop, so the last one sent says what is true now.
    func publishPresence(_ kind: Presence.Kind) {
        self.later {
            // After the goodbye, another word would bring this node back on the others.
            guard kind == .bye || !self.isClosing.load(ordering: .relaxed) else { return }
            let isBehind = kind != .bye && self.room.isBehind
            let (acks, published) = self.flow.withLock { ($0.acknowledgements(isBehind: isBehind), $0.published) }
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

    func publishFailed(_ error: any Error) {
        let count = self.failures.wrappingAdd(1, ordering: .relaxed).newValue
        // The first, then one in a thousand: a long split must not flood the log.
        if count == 1 || count % 1000 == 0 {
            self.logger.warning(
                "texts did not reach the other nodes",
                metadata: ["error": "\(error)", "chat.failures": "\(count)"]
            )
        }
    }
}
