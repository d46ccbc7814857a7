public import NIOCore
import Synchronization

/// One message read from a stream.
public struct JetStreamMessage: Sendable, Hashable {
    /// The subject it was published to.
    public var subject: String
    /// Its place in the stream: 1, 2, 3... in the order the stream stored them.
    public var streamSequence: UInt64
    /// Messages of the stream (matching the filter) after this one, when it was sent.
    public var pending: UInt64
    /// When the stream stored it, in nanoseconds since 1970.
    public var timestamp: Int64
    public var headers: NATSHeaders?
    public var payload: ByteBuffer
}

/// Reads a stream in order, from a chosen position, for as long as it is iterated: every message
/// once, none skipped, whatever happens to the connection on the way.
///
/// Behind it is an ephemeral push consumer (in memory, one replica, no acknowledgements) that the
/// client makes again, from just after the last message delivered, whenever a message went
/// missing, the consumer stopped sending heartbeats, or the connection came back (see
/// ``JetStreamOrderedConsumerState``). Flow control is answered only as the reader catches up,
/// so a slow reader slows the server, and memory here stays within its window (2 to 32 MiB).
///
/// Make one with ``JetStream/orderedConsumer(stream:filterSubject:from:heartbeat:)``; iterate
/// it once, or hand its messages to a handler on the client's event loop with
/// ``run(_:)`` (no task switch per message: for readers that live on the loop);
/// ``stop()`` deletes the server's consumer.
public final class JetStreamOrderedConsumer: AsyncSequence, Sendable {
    public typealias Element = JetStreamMessage

    struct Storage {
        var machine: JetStreamOrderedConsumerState
        var buffer = CircularBuffer<JetStreamMessage>()
        var waiter: CheckedContinuation<JetStreamMessage?, Never>?
        /// ``run(_:)``'s handler, and whether it asked to pause.
        var handler: (@Sendable (JetStreamMessage) -> Bool)?
        var isPaused = false
        /// ``run(_:)``'s caller, until the consumer stops.
        var runner: CheckedContinuation<Void, Never>?
        var subscription: UInt64?
        var consumerName: String?
        var isStopped = false
        var ticker: RepeatedTask?
    }

    let jetStream: JetStream
    let stream: String
    let filterSubject: String?
    let storage: Mutex<Storage>

    init(
        jetStream: JetStream,
        stream: String,
        filterSubject: String?,
        start: JetStreamOrderedConsumerState.Start,
        heartbeat: Duration
    ) {
        self.jetStream = jetStream
        self.stream = stream
        self.filterSubject = filterSubject
        let machine = JetStreamOrderedConsumerState(start: start, heartbeat: TimeAmount(heartbeat), now: .now())
        self.storage = Mutex(Storage(machine: machine))
    }

    var client: NATSClient { self.jetStream.client }

    /// Makes the first consumer and starts watching it.
    func begin() async throws {
        let heartbeat = self.storage.withLock { $0.machine.heartbeat }
        let ticker = self.client.eventLoop.scheduleRepeatedTask(initialDelay: heartbeat, delay: heartbeat) {
            [weak self] _ in
            self?.tick()
        }
        self.storage.withLock { $0.ticker = ticker }
        let start = self.storage.withLock { $0.machine.start }
        do {
            try await self.makeConsumer(generation: 0, start: start)
        } catch {
            self.stop()
            throw error
        }
    }

    // MARK: Reading

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: JetStreamOrderedConsumer

        /// The next message in stream order; `nil` once the consumer is stopped.
        public mutating func next() async -> JetStreamMessage? {
            await self.consumer.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(consumer: self)
    }

    func next() async -> JetStreamMessage? {
        let message = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<JetStreamMessage?, Never>) in
                let ready = self.storage.withLock { storage -> JetStreamMessage?? in
                    if let first = storage.buffer.popFirst() { return .some(first) }
                    if storage.isStopped || Task.isCancelled { return .some(nil) }
                    storage.waiter = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            self.storage.withLock { storage in
                defer { storage.waiter = nil }
                return storage.waiter
            }?.resume(returning: nil)
        }
        if message != nil {
            let answers = self.storage.withLock { $0.machine.consumedOne() }
            self.answer(answers)
        }
        return message
    }

    /// Hands every message, in stream order, to `handler` on the client's event loop as it
    /// comes, until the consumer is stopped or the calling task cancelled (which stops it). The
    /// handler must not block; it returns `false` to pause after the message it was given: the
    /// next ones wait here (within the flow-control window, so the server waits too) until
    /// ``resume()``. Use either this or iteration, once.
    public func run(_ handler: @escaping @Sendable (JetStreamMessage) -> Bool) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let isOver = self.storage.withLock { storage -> Bool in
                    if storage.isStopped || Task.isCancelled { return true }
                    storage.handler = handler
                    storage.runner = continuation
                    return false
                }
                if isOver {
                    continuation.resume()
                } else {
                    // What came before the handler did.
                    self.client.eventLoop.execute { self.push() }
                }
            }
        } onCancel: {
            self.stop()
        }
    }

    /// Goes on handing messages to ``run(_:)``'s handler after it returned `false`.
    public func resume() {
        self.client.eventLoop.execute {
            self.storage.withLock { $0.isPaused = false }
            self.push()
        }
    }

    /// Hands what is buffered to the handler, on the event loop (so one at a time, in order).
    func push() {
        self.client.eventLoop.assertInEventLoop()
        while true {
            let next = self.storage.withLock { storage -> (JetStreamMessage, @Sendable (JetStreamMessage) -> Bool)? in
                guard let handler = storage.handler, !storage.isPaused, !storage.isStopped,
                    let first = storage.buffer.popFirst()
                else {
                    return nil
                }
                return (first, handler)
            }
            guard let (message, handler) = next else { return }
            let goesOn = handler(message)
            let answers = self.storage.withLock { storage in
                if !goesOn { storage.isPaused = true }
                return storage.machine.consumedOne()
            }
            self.answer(answers)
        }
    }

    /// Messages received and not read yet: at most what the server sends within one
    /// flow-control window ahead of the reader.
    public var bufferedMessages: Int {
        self.storage.withLock { $0.buffer.count }
    }

    /// Stops reading: deletes the server's consumer and ends the iteration.
    public func stop() {
        let (waiter, runner, subscription, name, ticker) = self.storage.withLock { storage in
            storage.isStopped = true
            defer {
                storage.waiter = nil
                storage.runner = nil
                storage.handler = nil
            }
            return (storage.waiter, storage.runner, storage.subscription, storage.consumerName, storage.ticker)
        }
        ticker?.cancel()
        waiter?.resume(returning: nil)
        runner?.resume()
        if let subscription {
            Task { await self.client.unsubscribe(subscription) }
        }
        if let name {
            self.deleteConsumer(name)
        }
    }

    /// The connection came back: the consumer may have gone with the server it lived on. Call it
    /// on ``NATSClientEvent/reconnected(_:)`` to resume at once rather than after two missed
    /// heartbeats.
    public func connectionCameBack() {
        let action = self.storage.withLock { $0.machine.reconnected(now: .now()) }
        self.perform(action)
    }

    // MARK: What the server sends

    func received(_ message: NATSMessage, generation: UInt64) {
        let now = NIODeadline.now()
        if let reply = message.replyTo, reply.hasPrefix("$JS.ACK.") {
            guard let metadata = Self.metadata(reply) else { return }
            let delivered = JetStreamMessage(
                subject: message.subject,
                streamSequence: metadata.streamSequence,
                pending: metadata.pending,
                timestamp: metadata.timestamp,
                headers: message.parsedHeaders,
                payload: message.payload
            )
            let (action, waiter, pushes) = self.storage.withLock {
                storage -> (JetStreamOrderedConsumerState.Action, CheckedContinuation<JetStreamMessage?, Never>?, Bool)
                in
                let action = storage.machine.received(
                    generation: generation,
                    consumerSequence: metadata.consumerSequence,
                    streamSequence: metadata.streamSequence,
                    now: now
                )
                guard action == .deliver else { return (action, nil, false) }
                if let waiter = storage.waiter {
                    storage.waiter = nil
                    return (action, waiter, false)
                }
                storage.buffer.append(delivered)
                return (action, nil, storage.handler != nil)
            }
            if let waiter {
                waiter.resume(returning: delivered)
            } else if pushes {
                self.push()
            } else if action != .deliver {
                self.perform(action)
            }
            return
        }
        guard let headers = message.parsedHeaders, let status = headers.status else { return }
        switch status {
        case 100 where message.replyTo != nil:
            // "FlowControl Request": answer once the reader has caught up.
            let answers = self.storage.withLock {
                $0.machine.flowControlRequest(generation: generation, subject: message.replyTo ?? "", now: now)
            }
            self.answer(answers)
        case 100:
            // "Idle Heartbeat".
            let last = headers["Nats-Last-Consumer"].flatMap { UInt64($0) }
            let (action, answers) = self.storage.withLock {
                $0.machine.heartbeat(
                    generation: generation,
                    lastConsumerSequence: last,
                    stalledOn: headers["Nats-Consumer-Stalled"],
                    now: now
                )
            }
            self.answer(answers)
            self.perform(action)
        default:
            // 409 Consumer Deleted, Leadership Change...: this consumer is over.
            let action = self.storage.withLock { $0.machine.ended(generation: generation, now: now) }
            self.perform(action)
        }
    }

    func tick() {
        let action = self.storage.withLock { storage -> JetStreamOrderedConsumerState.Action in
            storage.isStopped ? .none : storage.machine.tick(now: .now())
        }
        self.perform(action)
    }

    // MARK: Doing

    func perform(_ action: JetStreamOrderedConsumerState.Action) {
        guard case .reset(let generation, let start) = action else { return }
        Task {
            do {
                try await self.makeConsumer(generation: generation, start: start)
            } catch {
                // Tried again at the next tick; the connection may be down for now.
                self.storage.withLock { $0.machine.created(generation: generation, succeeded: false, now: .now()) }
            }
        }
    }

    func answer(_ subjects: [String]) {
        for subject in subjects {
            self.client.publishSoon(ByteBuffer(), to: subject)
        }
    }

    /// Subscribes a new deliver subject, then makes the consumer that sends to it (messages may
    /// come before the answer), and drops the previous subscription and consumer.
    func makeConsumer(generation: UInt64, start: JetStreamOrderedConsumerState.Start) async throws {
        let deliverSubject = "_INBOX." + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let subscription = try await self.client.subscribe(to: deliverSubject) { [weak self] message in
            self?.received(message, generation: generation)
        }
        let (stopped, previous, previousName, heartbeat) = self.storage.withLock { storage in
            let previous = (storage.isStopped, storage.subscription, storage.consumerName, storage.machine.heartbeat)
            storage.subscription = subscription
            storage.consumerName = nil
            return previous
        }
        if let previous { await self.client.unsubscribe(previous) }
        if let previousName { self.deleteConsumer(previousName) }
        guard !stopped else {
            await self.client.unsubscribe(subscription)
            return
        }
        let request = ConsumerRequest(
            streamName: self.stream,
            config: ConsumerRequest.Config(
                deliverSubject: deliverSubject,
                start: start,
                filterSubject: self.filterSubject,
                heartbeat: heartbeat
            )
        )
        let info: ConsumerInfo = try await self.jetStream.api(
            "CONSUMER.CREATE.\(self.stream)",
            body: try JetStream.json(request),
            operation: "read stream \(self.stream) in order"
        )
        let stoppedMeanwhile = self.storage.withLock { storage -> Bool in
            if storage.machine.generation == generation { storage.consumerName = info.name }
            storage.machine.created(generation: generation, succeeded: true, now: .now())
            return storage.isStopped
        }
        if stoppedMeanwhile { self.deleteConsumer(info.name) }
    }

    func deleteConsumer(_ name: String) {
        let jetStream = self.jetStream
        let stream = self.stream
        Task {
            // Best effort: an ephemeral consumer without interest is deleted by the server anyway.
            let _: JetStream.Success? = try? await jetStream.api(
                "CONSUMER.DELETE.\(stream).\(name)",
                operation: "delete consumer \(name)"
            )
        }
    }

    struct ConsumerInfo: Decodable {
        var name: String
    }

    struct ConsumerRequest: Encodable {
        var streamName: String
        var config: Config

        enum CodingKeys: String, CodingKey {
            case streamName = "stream_name"
            case config
        }

        struct Config: Encodable {
            var deliverSubject: String
            var start: JetStreamOrderedConsumerState.Start
            var filterSubject: String?
            var heartbeat: TimeAmount

            enum CodingKeys: String, CodingKey {
                case deliverSubject = "deliver_subject"
                case deliverPolicy = "deliver_policy"
                case startSequence = "opt_start_seq"
                case ackPolicy = "ack_policy"
                case maximumDeliveries = "max_deliver"
                case filterSubject = "filter_subject"
                case replayPolicy = "replay_policy"
                case flowControl = "flow_control"
                case idleHeartbeat = "idle_heartbeat"
                case memoryStorage = "mem_storage"
                case replicas = "num_replicas"
                case inactiveThreshold = "inactive_threshold"
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(self.deliverSubject, forKey: .deliverSubject)
                switch self.start {
                case .all: try container.encode("all", forKey: .deliverPolicy)
                case .new: try container.encode("new", forKey: .deliverPolicy)
                case .last: try container.encode("last", forKey: .deliverPolicy)
                case .sequence(let sequence):
                    try container.encode("by_start_sequence", forKey: .deliverPolicy)
                    try container.encode(Swift.max(1, sequence), forKey: .startSequence)
                }
                try container.encode("none", forKey: .ackPolicy)
                try container.encode(1, forKey: .maximumDeliveries)
                if let filterSubject = self.filterSubject {
                    try container.encode(filterSubject, forKey: .filterSubject)
                }
                try container.encode("instant", forKey: .replayPolicy)
                try container.encode(true, forKey: .flowControl)
                try container.encode(self.heartbeat.nanoseconds, forKey: .idleHeartbeat)
                try container.encode(true, forKey: .memoryStorage)
                try container.encode(1, forKey: .replicas)
                // Gone from the server a minute after its reader: long enough to outlive a reconnect.
                try container.encode(Int64(60_000_000_000), forKey: .inactiveThreshold)
            }
        }
    }

    /// What the `$JS.ACK` reply subject of a delivery says: 9 tokens from 2.9
    /// (`$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ns>.<pending>`), or 11 or 12 with a
    /// domain and an account hash after `ACK` (newer servers).
    static func metadata(
        _ reply: String
    ) -> (streamSequence: UInt64, consumerSequence: UInt64, timestamp: Int64, pending: UInt64)? {
        let tokens = reply.split(separator: ".", omittingEmptySubsequences: false)
        let offset: Int
        switch tokens.count {
        case 9: offset = 0
        case 11, 12: offset = 2
        default: return nil
        }
        guard let streamSequence = UInt64(tokens[5 + offset]),
            let consumerSequence = UInt64(tokens[6 + offset]),
            let timestamp = Int64(tokens[7 + offset]),
            let pending = UInt64(tokens[8 + offset])
        else { return nil }
        return (streamSequence, consumerSequence, timestamp, pending)
    }
}

extension JetStream {
    /// Where an ordered consumer starts reading.
    public struct Position: Sendable, Hashable {
        let start: JetStreamOrderedConsumerState.Start

        /// From the oldest message the stream keeps.
        public static let all = Position(start: .all)
        /// From the next message stored.
        public static let new = Position(start: .new)
        /// From the newest message stored.
        public static let last = Position(start: .last)
        /// From the message at `sequence` (or the next one kept, if it is gone).
        public static func sequence(_ sequence: UInt64) -> Position { Position(start: .sequence(sequence)) }
    }

    /// Reads `stream` in order from `position` (only subjects matching `filterSubject`, if given).
    /// `heartbeat` is how often an idle consumer says it is alive; two silent intervals make a
    /// new one.
    public func orderedConsumer(
        stream: String,
        filterSubject: String? = nil,
        from position: Position = .all,
        heartbeat: Duration = .seconds(5)
    ) async throws -> JetStreamOrderedConsumer {
        try Self.check(name: stream)
        let consumer = JetStreamOrderedConsumer(
            jetStream: self,
            stream: stream,
            filterSubject: filterSubject,
            start: position.start,
            heartbeat: heartbeat
        )
        try await consumer.begin()
        return consumer
    }
}
