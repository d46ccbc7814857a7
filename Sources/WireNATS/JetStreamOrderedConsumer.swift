import NIOCore
import Synchronization

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

}
