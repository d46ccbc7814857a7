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
/// The decisions are ``ChatStreamNodeState``'s; this class does the I/O.
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
    let machine: Mutex<ChatStreamNodeState>
    let consumer = Mutex<JetStreamOrderedConsumer?>(nil)
    let isClosing = Atomic<Bool>(false)
    /// Whether the last thing said of the room is that it is split.
    let saidSplit = Atomic<Bool>(true)

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
        self.machine = Mutex(ChatStreamNodeState(node: self.node, batchLimit: 512 * 1024))
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

    /// Prepares the stream, trying again while JetStream is not ready (a cluster without a leader
    /// yet, a server restarting); a configuration the server refuses ends it with its sentence.
    func prepareStreamUntilReady() async throws {
        var wait = Duration.milliseconds(100)
        var attempts = 0
        while true {
            do {
                try await self.prepareStream()
                return
            } catch let error as JetStreamError where Self.isConfigurationError(error) {
                throw error
            } catch {
                attempts += 1
                if attempts == 1 || attempts % 10 == 0 {
                    self.logger.warning(
                        "the room's stream is not ready yet; trying again",
                        metadata: ["error": "\(error)"]
                    )
                }
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(2))
            }
        }
    }

    /// Refusals that trying again will not change: limits or replicas the server cannot have.
    static func isConfigurationError(_ error: JetStreamError) -> Bool {
        [10052, 10005, 10074, 10065].contains(error.apiErrorCode ?? 0)
    }

    /// Makes or updates the stream, says so, and starts reading it after its last message (the
    /// room's history is read from the end).
    func prepareStream() async throws {
        let limits = self.configuration.stream
        let name = self.configuration.streamName
        var info = try await self.jetStream.streamInfo(name)
        if info == nil || limits.isSet {
            let known =
                Set(self.configuration.client.servers.map(\.description)).count
                + ((await self.client.serverInfo)?.connectURLs.count ?? 0)
            let existing = info?.configuration
            let configuration = JetStreamStreamConfiguration(
                name: name,
                subjects: ["\(self.prefix).stream.>"],
                storage: .file,
                maximumAge: limits.maximumAge ?? existing?.maximumAge ?? ChatStreamLimits.defaultMaximumAge,
                maximumBytes: limits.maximumBytes ?? existing?.maximumBytes ?? ChatStreamLimits.defaultMaximumBytes,
                maximumMessages: limits.maximumMessages ?? existing?.maximumMessages,
                replicas: limits.replicas ?? existing?.replicas ?? (known >= 3 ? 3 : 1),
                duplicateWindow: .seconds(120)
            )
            do {
                info = try await self.jetStream.createOrUpdateStream(configuration)
            } catch let error as JetStreamError
                where limits.replicas == nil && existing == nil && configuration.replicas > 1
                && [10005, 10074].contains(error.apiErrorCode ?? 0)
            {
                // Three servers known, but not three JetStream peers: one copy, said so.
                self.logger.warning(
                    "the NATS servers cannot hold three copies of the room; keeping one",
                    metadata: ["error": "\(error)"]
                )
                var single = configuration
                single.replicas = 1
                info = try await self.jetStream.createOrUpdateStream(single)
            }
        }
        guard let info else { return }
        self.onEvent(.roomStream(description: Self.describe(info)))
        try await self.rememberHistory(upTo: info.state)
        let consumer = try await self.jetStream.orderedConsumer(
            stream: name,
            from: .sequence(info.state.lastSequence + 1),
            heartbeat: .seconds(1)
        )
        self.consumer.withLock { $0 = consumer }
    }

    static func describe(_ info: JetStreamStreamInfo) -> String {
        let configuration = info.configuration
        var limits: [String] = []
        if let age = configuration.maximumAge { limits.append(Self.describe(age)) }
        if let bytes = configuration.maximumBytes { limits.append(Self.describe(bytes: bytes)) }
        if let messages = configuration.maximumMessages { limits.append("\(messages) batches") }
        let copies = configuration.replicas == 1 ? "1 copy" : "\(configuration.replicas) copies"
        let stored = info.state.messages == 1 ? "1 batch stored" : "\(info.state.messages) batches stored"
        return
            "JetStream stream \(configuration.name) (\(configuration.storage.rawValue), \(copies), texts kept \(limits.joined(separator: " / ")); \(stored))"
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if seconds >= 2 * 86_400 && seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    static func describe(bytes: Int) -> String {
        for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes >= size && bytes % size == 0 {
            return "\(bytes / size) \(unit)"
        }
        return "\(bytes) bytes"
    }

    // MARK: Out

    func send(_ output: ChatRoomOutput) {
        switch output {
        case .texts(let name, var texts, let sender):
            // A text NATS cannot carry reaches this node's members only.
            let limit = self.machine.withLock { $0.batchLimit }
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
        case .joined, .left, .behindChanged:
            self.publishPresence(.state)
        }
    }

    /// Runs one decision of the machine and what it says. Deliveries happen under the machine's
    /// lock, so that the members get them in the order they were decided, whichever task decided
    /// (a sender's while split, the stream reader's, the connection's); the room never calls the
    /// link with its own lock held, so the order of locks is always this one, then the room's.
    @discardableResult
    func decide<Result>(_ body: (inout ChatStreamNodeState) -> ([ChatStreamNodeState.Action], Result)) -> Result {
        let (publishes, result) = self.machine.withLock { machine -> ([ChatStreamNodeState.Message], Result) in
            let (actions, result) = body(&machine)
            var publishes: [ChatStreamNodeState.Message] = []
            for action in actions {
                switch action {
                case .deliver(let delivery):
                    self.room.deliverStreamed(delivery)
                case .publish(let message):
                    publishes.append(message)
                }
            }
            return (publishes, result)
        }
        for message in publishes {
            self.publish(message)
        }
        return result
    }

    /// Publishes a batch: first from the NATS event loop, with no task in between (the usual
    /// case: the stream acknowledges within a millisecond, and the next batch goes from there);
    /// after a failure, from a task that tries again until the stream has it.
    func publish(_ message: ChatStreamNodeState.Message) {
        let payload = ChatStreamBatch.encode(message.records)
        let id = "\(self.node)-\(message.counter)"
        self.jetStream.publishSoon(payload, to: self.streamSubject, messageID: id, timeout: .seconds(2)).whenComplete {
            [self] result in
            switch result {
            case .success:
                self.stored(message)
            case .failure(let error):
                guard !self.isClosing.load(ordering: .relaxed) else { return }
                self.logger.warning(
                    "the room's stream has not stored texts yet; trying again",
                    metadata: ["error": "\(error)", "chat.batch": "\(id)"]
                )
                Task { await self.publishUntilStored(message, payload: payload, id: id) }
            }
        }
    }

    func stored(_ message: ChatStreamNodeState.Message) {
        let backlogged = self.decide { machine in
            (machine.stored(counter: message.counter), machine.isBacklogged(limit: Self.backlogLimit))
        }
        if !backlogged { self.room.setStreamBacklogHold(false) }
    }

    /// Publishes a batch until the stream has it; the same message ID every time, so it is stored once.
    func publishUntilStored(_ message: ChatStreamNodeState.Message, payload: ByteBuffer, id: String) async {
        var failures = 1
        while !self.isClosing.load(ordering: .relaxed) {
            do {
                _ = try await self.jetStream.publish(
                    payload,
                    to: self.streamSubject,
                    messageID: id,
                    timeout: .seconds(10)
                )
                break
            } catch {
                failures += 1
                // The first, then one in ten: a long split must not flood the log.
                if failures % 10 == 0 {
                    self.logger.warning(
                        "the room's stream has not stored texts yet; trying again",
                        metadata: ["error": "\(error)", "chat.batch": "\(id)"]
                    )
                }
            }
        }
        self.stored(message)
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
        self.decide {
            ($0.streamed(from: node, counter: counter, sequence: message.streamSequence, records: records), ())
        }
    }

    // MARK: The connection

    func handle(_ event: NATSClientEvent) {
        switch event {
        case .connected(let server), .reconnected(let server):
            self.linked(server: server.description)
            self.consumer.withLock { $0 }?.connectionCameBack()
        case .disconnected(let reason):
            self.split(reason)
        case .connectionAttemptFailed(let server, let reason):
            self.logger.debug(
                "NATS connection attempt failed",
                metadata: ["nats.server": "\(server)", "nats.reason": "\(reason)"]
            )
        case .lameDuckMode(let server):
            self.logger.info(
                "the NATS server is shutting down; moving to another",
                metadata: ["nats.server": "\(server)"]
            )
        case .serverError(let text):
            self.logger.warning("NATS error", metadata: ["nats.error": "\(text)"])
        case .slowConsumer, .publishDropped, .closed:
            self.logger.debug("NATS event", metadata: ["nats.event": "\(event)"])
        }
    }

    func linked(server: String) {
        self.decide { ($0.linkBack(), ()) }
        self.room.setSplit(false)
        self.saidSplit.store(false, ordering: .relaxed)
        self.logger.info(
            "the room is whole: linked to the other nodes through its stream",
            metadata: ["nats.server": "\(server)"]
        )
        self.onEvent(.roomWhole(server: server))
        self.publishPresence(.hello)
    }

    func split(_ reason: String) {
        // What this node's members have not been given of their own node's texts, they get now.
        self.decide { ($0.linkLost(), ()) }
        self.room.setSplit(true)
        guard !self.saidSplit.exchange(true, ordering: .relaxed) else { return }
        self.logger.info("the room is split: NATS is out of reach", metadata: ["nats.reason": "\(reason)"])
        self.onEvent(.roomSplit(reason: reason))
    }

    // MARK: Presence

    func publishPresence(_ kind: ChatNATSLink.Presence.Kind) {
        self.client.eventLoop.execute {
            guard kind == .bye || !self.isClosing.load(ordering: .relaxed) else { return }
            let presence = ChatNATSLink.Presence(
                kind: kind,
                names: kind == .bye ? [] : self.room.usernames,
                behind: false
            )
            do {
                let json = try JSONEncoder().encode(presence)
                self.client.publishSoon(ByteBuffer(bytes: json), to: "\(self.prefix).presence.\(self.node)")
            } catch {
                self.logger.error("cannot encode presence", metadata: ["error": "\(error)"])
            }
        }
    }

    func receivedPresence(_ message: NATSMessage) {
        let node = String(message.subject.dropFirst(self.prefix.count + ".presence.".count))
        guard node != self.node else { return }
        let presence: ChatNATSLink.Presence
        do {
            presence = try JSONDecoder().decode(
                ChatNATSLink.Presence.self,
                from: Data(message.payload.readableBytesView)
            )
        } catch {
            self.logger.warning(
                "dropped a malformed presence",
                metadata: ["chat.from": "\(node)", "error": "\(error)"]
            )
            return
        }
        switch presence.kind {
        case .bye:
            self.logger.info("a node left the room", metadata: ["chat.from": "\(node)"])
            self.room.removeRemote(node: node)
        case .hello:
            self.room.updateRemote(node: node, names: presence.names, isBehind: false)
            self.publishPresence(.state)
        case .state:
            self.room.updateRemote(node: node, names: presence.names, isBehind: false)
        }
    }

    func presenceTicker() async throws {
        let interval = self.configuration.presenceInterval
        while true {
            try await Task.sleep(for: interval)
            self.publishPresence(.state)
            let deadline = NIODeadline.now() - TimeAmount(interval * Self.silentIntervals)
            for node in self.room.silentNodes(since: deadline) {
                self.logger.info("a node stopped answering; its members have left", metadata: ["chat.from": "\(node)"])
                self.room.removeRemote(node: node)
            }
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
        self.isClosing.store(true, ordering: .relaxed)
        self.consumer.withLock { $0 }?.stop()
        await client.close()
    }
}

/// A batch of records as a node publishes it to the room's stream: for each record, an 8-byte
/// big-endian member identity (meaningful to its node only), then a 4-byte big-endian length and
/// the username, then a 4-byte big-endian length and the text.
enum ChatStreamBatch {
    static func encode(_ records: [ChatStreamNodeState.Record]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(records.reduce(0) { $0 + ChatStreamNodeState.size(name: $1.name, text: $1.text) })
        for record in records {
            buffer.writeInteger(record.sender.value)
            buffer.writeInteger(UInt32(truncatingIfNeeded: record.name.utf8.count))
            buffer.writeString(record.name)
            // A text is at most the room's message size, far below 4 GiB; the writer's limit says so.
            buffer.writeInteger(UInt32(truncatingIfNeeded: record.text.readableBytes))
            buffer.writeImmutableBuffer(record.text)
        }
        return buffer
    }

    /// The records of a batch, or `nil` if it is cut short or a username is not UTF-8.
    static func decode(_ batch: ByteBuffer) -> [(member: UInt64, name: String, text: ByteBuffer)]? {
        var rest = batch
        var records: [(member: UInt64, name: String, text: ByteBuffer)] = []
        while rest.readableBytes > 0 {
            guard let member = rest.readInteger(as: UInt64.self),
                let nameLength = rest.readInteger(as: UInt32.self),
                let nameBytes = rest.readSlice(length: Int(nameLength)),
                let name = String(validating: nameBytes.readableBytesView, as: UTF8.self),
                let textLength = rest.readInteger(as: UInt32.self),
                let text = rest.readSlice(length: Int(textLength))
            else {
                return nil
            }
            records.append((member, name, text))
        }
        return records
    }
}
