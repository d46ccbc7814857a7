import CoreMetrics
import Foundation
import Logging
import NIOCore
import Synchronization
import WireNATS

/// Keeps a room in a JetStream stream shared by every node (docs/PROTOCOLS.md, "Many nodes").
///
/// For a room `lobby`:
/// - the stream `WIRE_CHAT_lobby` keeps the subjects `wire.chat.lobby.stream.>` on file; node `N`
///   publishes its members' texts to `wire.chat.lobby.stream.N`, as batches of records (member,
///   username, text), each with the message ID `N-COUNTER`, so that a batch sent again is stored
///   once; one batch is in flight at a time, so each sender's texts keep their order;
/// - every node reads the stream in order from where it started (an ordered consumer) and delivers
///   every batch to its members, its own included (never back to their sender), at the pace of
///   its members: the stream is the buffer between nodes;
/// - who is where travels on core NATS, `wire.chat.lobby.presence.N`, as in a core room.
///
/// The decisions are ``ChatStreamNodeState``'s, a value confined to the NATS client's event loop
/// (every event reaches it there: the members' texts, the stream's batches, acknowledgements,
/// the link lost and back); this class does the I/O.
final class ChatStreamLink: Sendable {
    /// How the first connection went.
    enum Outcome {
        /// The server has no JetStream: link the room over core NATS instead.
        case noJetStream(server: String)
    }

    let configuration: ChatNATSConfiguration
    let client: NATSClient
    let jetStream: JetStream
    let room: ChatRoom
    let node: String
    let prefix: String
    let logger: Logger
    let onEvent: @Sendable (ChatEvent) -> Void
    /// Read and changed on the client's event loop only.
    let machine: NIOLoopBoundBox<ChatStreamNodeState>
    /// The next attempt at the message in flight, when the last one failed; on the client's loop.
    let retry: NIOLoopBoundBox<Scheduled<Void>?>
    /// The stream's reader: set once the stream is ready, before anything reads it (a handle,
    /// not a decision).
    let consumer = Mutex<JetStreamOrderedConsumer?>(nil)

    /// The largest batch: room for the headers and the protocol line within the server's
    /// max_payload (1 MiB by default).
    static let batchLimit = 512 * 1024
    /// Bytes waiting to be published above which this node's senders wait.
    static let backlogLimit = 8 * 1024 * 1024
    /// Presence intervals without a word from a node after which it is taken as gone.
    static let silentIntervals = 5

    init(
        configuration: ChatNATSConfiguration,
        room: ChatRoom,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        onEvent: @escaping @Sendable (ChatEvent) -> Void
    ) {
        self.configuration = configuration
        self.client = NATSClient(configuration: configuration.client, eventLoopGroup: eventLoopGroup, logger: logger)
        // A request that went out just before the connection died has no answer coming: tried
        // again (with the same message ID) after two seconds, not five.
        self.jetStream = JetStream(client: self.client, requestTimeout: .seconds(2))
        self.room = room
        self.node = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        self.prefix = "wire.chat.\(configuration.room)"
        var logger = logger
        logger[metadataKey: "chat.node"] = "\(self.node)"
        self.logger = logger
        self.onEvent = onEvent
        // Room for the headers and the protocol line within the server's max_payload (1 MiB by default).
        self.machine = NIOLoopBoundBox.makeBoxSendingValue(
            ChatStreamNodeState(node: self.node, batchLimit: Self.batchLimit),
            eventLoop: self.client.eventLoop
        )
        self.retry = NIOLoopBoundBox.makeBoxSendingValue(nil, eventLoop: self.client.eventLoop)
    }

    var streamSubject: String { "\(self.prefix).stream.\(self.node)" }

    /// Links the room until cancelled; returns at once if the server has no JetStream.
    func run() async throws -> Outcome? {
        self.client.start()
        var events = self.client.events.makeAsyncIterator()
        // Until the first connection, this node is on its own.
        self.room.setSplit(true)
        var server = "NATS"
        connecting: while let event = await events.next() {
            switch event {
            case .connected(let address):
                server = address.description
                break connecting
            case .connectionAttemptFailed(let address, let reason):
                self.logger.debug(
                    "NATS connection attempt failed",
                    metadata: ["nats.server": "\(address)", "nats.reason": "\(reason)"]
                )
            case .closed:
                return nil
            default:
                continue
            }
        }
        guard try await self.jetStream.isAvailable() else {
            await self.client.close()
            return .noJetStream(server: server)
        }
        try await self.prepareStreamUntilReady()
        self.room.streamTexts()
        self.room.readOlder { [self] position, before in await self.readOlder(after: position, before: before) }
        self.room.attach { [self] output in self.send(output) }
        _ = try await self.client.subscribe(to: "\(self.prefix).presence.*") { [self] message in
            self.receivedPresence(message)
        }
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.deliverFromStream() }
            group.addTask { try await self.presenceTicker() }
            self.linked(server: server)
            // Here, not in a child task: the events have one iterator. It ends when the client
            // closes or this task is cancelled.
            while let event = await events.next() {
                self.handle(event)
            }
            group.cancelAll()
        }
        return nil
    }

    // MARK: Out

    /// What the room tells the other nodes, from a member's task: taken to the client's event
    /// loop, in the order it came (each sender's texts keep theirs).
    func send(_ output: ChatRoomOutput) -> EventLoopFuture<Void>? {
        switch output {
        case .texts(let name, let texts, let sender):
            self.client.eventLoop.execute { self.sent(texts, name: name, from: sender) }
        case .joined, .left, .behindChanged:
            self.publishPresence(.state)
        }
        return nil
    }

    /// A member's texts, to publish; on the client's event loop.
    func sent(_ texts: [ByteBuffer], name: String, from sender: ChatRoom.MemberID) {
        var texts = texts
        // A text NATS cannot carry reaches this node's members only.
        let limit = Self.batchLimit
        let tooLarge = texts.filter { ChatStreamNodeState.size(name: name, text: $0) > limit }
        if !tooLarge.isEmpty {
            texts.removeAll { ChatStreamNodeState.size(name: name, text: $0) > limit }
            self.logger.warning(
                "a text is too large for the room's stream and reaches this node only",
                metadata: ["chat.user": "\(name)", "chat.bytes": "\(tooLarge.map(\.readableBytes))"]
            )
            self.room.deliverStreamed(
                ChatStreamNodeState.Delivery(
                    records: tooLarge.map { .init(name: name, text: $0, excluding: sender, position: nil) }
                )
            )
        }
        let backlogged = self.decide { machine in
            (machine.sent(texts, from: sender, name: name), machine.isBacklogged(limit: Self.backlogLimit))
        }
        if backlogged { self.room.setStreamBacklogHold(true) }
    }

    /// Runs one decision of the machine and does what it says, on the client's event loop: the
    /// members get deliveries in the order they were decided, whatever event led to them (a
    /// sender's texts while split, the stream's batches, the link lost).
    @discardableResult
    func decide<Result>(_ body: (inout ChatStreamNodeState) -> ([ChatStreamNodeState.Action], Result)) -> Result {
        self.client.eventLoop.preconditionInEventLoop()
        let (actions, result) = body(&self.machine.value)
        for action in actions {
            switch action {
            case .deliver(let delivery):
                self.room.deliverStreamed(delivery)
            case .publish(let message):
                self.publish(message)
            }
        }
        return result
    }

    /// Publishes a batch, from the NATS event loop with no task in between (the usual case: the
    /// stream acknowledges within a millisecond, and the next batch goes from there).
    func publish(_ message: ChatStreamNodeState.Message) {
        self.attempt(message, payload: ChatStreamBatch.encode(message.records), id: "\(self.node)-\(message.counter)")
    }

    /// One attempt at storing a batch; after a failure the machine says when to try again, with
    /// the same message ID, so that it is stored once.
    func attempt(_ message: ChatStreamNodeState.Message, payload: ByteBuffer, id: String) {
        self.jetStream.publishSoon(payload, to: self.streamSubject, messageID: id, timeout: .seconds(2)).whenComplete {
            [self] result in
            switch result {
            case .success:
                self.stored(message)
            case .failure(let error):
                guard let retry = self.decide({ ([], $0.publishFailed(counter: message.counter)) }) else { return }
                if retry.says {
                    self.logger.warning(
                        "the room's stream has not stored texts yet; trying again",
                        metadata: ["error": "\(error)", "chat.batch": "\(id)"]
                    )
                }
                self.retry.value = self.client.eventLoop.scheduleTask(in: retry.after) {
                    self.retry.value = nil
                    self.attempt(message, payload: payload, id: id)
                }
            }
        }
    }

    func stored(_ message: ChatStreamNodeState.Message) {
        let backlogged = self.decide { machine in
            (machine.stored(counter: message.counter), machine.isBacklogged(limit: Self.backlogLimit))
        }
        if !backlogged { self.room.setStreamBacklogHold(false) }
    }

    // MARK: In

    /// Reads the stream in order and delivers each batch on the NATS event loop as it comes (no
    /// task in between), pausing while a member here is behind; until cancelled.
    func deliverFromStream() async throws {
        guard let consumer = self.consumer.withLock({ $0 }) else { return }
        await consumer.run { [self] message in
            self.deliver(message)
            return self.room.readsOn(orWhenCaughtUp: { consumer.resume() })
        }
    }

    func deliver(_ message: JetStreamMessage) {
        guard let id = message.headers?["Nats-Msg-Id"], let dash = id.lastIndex(of: "-"),
            let counter = UInt64(id[id.index(after: dash)...]),
            let records = ChatStreamBatch.decode(message.payload)
        else {
            self.logger.warning(
                "skipped a malformed batch in the room's stream",
                metadata: ["chat.sequence": "\(message.streamSequence)"]
            )
            return
        }
        let node = String(id[..<dash])
        self.room.metrics.streamPending?.set(Int(clamping: message.pending))
        self.decide {
            ($0.streamed(from: node, counter: counter, sequence: message.streamSequence, records: records), ())
        }
    }

    /// Says goodbye, waits a moment for what is in flight, and closes the connection.
    func close() async {
        self.publishPresence(.bye)
        let client = self.client
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // A second at most: a NATS server that has stopped answering must not hold up the shutdown.
                try? await client.flush()
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(1))
            }
            await group.next()
            group.cancelAll()
        }
        // From now on nothing is tried again.
        try? await self.client.eventLoop.submit {
            self.machine.value.close()
            self.retry.value?.cancel()
            self.retry.value = nil
        }.get()
        self.consumer.withLock { $0 }?.stop()
        await client.close()
    }
}
