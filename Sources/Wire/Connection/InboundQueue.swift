import NIOCore
import Synchronization

/// Hands batches of decoded messages from a channel's event loop to the one task that reads them.
///
/// It replaces NIO's general async bridge with the little Wire needs: a queue of batches, one
/// waiting consumer, an end (clean or with an error), and backpressure in batches. Once
/// `highWatermark` batches or `highWatermarkBytes` bytes wait, the channel's reads are held; when
/// the consumer has taken the queue down to `lowWatermark` batches and `lowWatermarkBytes`,
/// reading resumes. A connection whose reader is busy thus holds at most about
/// `highWatermarkBytes` plus one read burst of received messages.
package final class InboundQueue: Sendable {
    static let highWatermark = 8
    static let lowWatermark = 2
    static let highWatermarkBytes = 4 << 20
    static let lowWatermarkBytes = 2 << 20

    fileprivate struct State {
        /// At most `highWatermark` and a few: a plain array, which costs nothing while empty (an
        /// idle connection's queue is), where a ring buffer allocates up front.
        var batches: [[ByteBuffer]] = []
        var batchBytes: [Int] = []
        var queuedBytes = 0
        var end: Result<Void, any Error>?
        /// The consumer, if it waits; its condition: it takes one message, not a batch
        /// (``nextMessage()``).
        var waiters = Waiters<Bool, [ByteBuffer]?>()
        var readHeld = false
        /// A consumer on the event loop that found the queue empty (``poll(orWhenReady:)``):
        /// called once the next batch or the end comes.
        var whenReady: (@Sendable () -> Void)?
    }

    private let channel: any Channel

    private let state = Mutex(State())

    package init(channel: any Channel) {
        self.channel = channel
    }

    // MARK: The event loop's side

    /// Queues a batch, or hands it straight to a waiting consumer.
    package func push(_ batch: [ByteBuffer], bytes: Int) {
        var ready: (@Sendable () -> Void)?
        let handOver = self.state.withLock { state -> Waiters<Bool, [ByteBuffer]?>.Resumption? in
            guard state.end == nil else { return nil }
            ready = state.whenReady
            state.whenReady = nil
            if let takesOne = state.waiters.firstCondition {
                guard takesOne, batch.count > 1 else { return state.waiters.takeFirst(.success(batch)) }
                // A consumer that takes one message gets the first; the rest wait in the queue.
                let first = batch[0]
                state.batches.append(Array(batch.dropFirst()))
                state.batchBytes.append(bytes - first.readableBytes)
                state.queuedBytes += bytes - first.readableBytes
                return state.waiters.takeFirst(.success([first]))
            }
            state.batches.append(batch)
            state.batchBytes.append(bytes)
            state.queuedBytes += bytes
            return nil
        }
        handOver?.resume()
        ready?()
    }

    /// Ends the sequence after the queued batches: cleanly with `nil`, or with `error`.
    package func finish(_ error: (any Error)?) {
        var ready: (@Sendable () -> Void)?
        let waiters = self.state.withLock { state -> [Waiters<Bool, [ByteBuffer]?>.Resumption] in
            guard state.end == nil else { return [] }
            state.end = error.map { .failure($0) } ?? .success(())
            ready = state.whenReady
            state.whenReady = nil
            return state.waiters.takeAll(error.map { .failure($0) } ?? .success(nil))
        }
        for waiter in waiters { waiter.resume() }
        ready?()
    }

    /// Whether the channel may read now; if not, the read is remembered and done later.
    package func mayRead() -> Bool {
        self.state.withLock { state in
            if state.batches.count >= Self.highWatermark || state.queuedBytes >= Self.highWatermarkBytes {
                state.readHeld = true
                return false
            }
            return true
        }
    }

    // MARK: The consumer's side

    /// What ``poll(orWhenReady:)`` found.
    enum Poll {
        case batch([ByteBuffer])
        case end(Result<Void, any Error>)
        /// Nothing yet: `ready` is called once something comes.
        case empty
    }

    /// The next batch or the end, without a task: for a consumer that runs on the event loop.
    /// When nothing waits, `ready` is kept and called once (on the event loop, from the decoder)
    /// when the next batch or the end comes; the consumer then polls again.
    func poll(orWhenReady ready: @escaping @Sendable () -> Void) -> Poll {
        let (poll, resumeReading) = self.state.withLock { state -> (Poll, Bool) in
            if !state.batches.isEmpty {
                let batch = state.takeFirst()
                let resume = state.mayResumeReading
                if resume { state.readHeld = false }
                return (.batch(batch), resume)
            }
            if let end = state.end { return (.end(end), false) }
            state.whenReady = ready
            return (.empty, false)
        }
        if resumeReading {
            self.channel.read()
        }
        return poll
    }

    /// The next message alone, leaving the rest of its batch in the queue for whoever reads
    /// next; `nil` at the end of the stream. For a handshake that must not read ahead of itself.
    package func nextMessage() async throws -> ByteBuffer? {
        try await self.next(takingOne: true)?.first
    }

    /// The next batch; `nil` at the end of the stream.
    package func next() async throws -> [ByteBuffer]? {
        try await self.next(takingOne: false)
    }

    private func next(takingOne: Bool) async throws -> [ByteBuffer]? {
        enum Step {
            case batch([ByteBuffer], resumeReading: Bool)
            case end(Result<Void, any Error>)
            case wait
        }
        let step = self.state.withLock { state -> Step in
            if !state.batches.isEmpty {
                let batch = takingOne ? state.takeOne() : state.takeFirst()
                let resume = state.mayResumeReading
                if resume { state.readHeld = false }
                return .batch(batch, resumeReading: resume)
            }
            if let end = state.end {
                return .end(end)
            }
            return .wait
        }
        switch step {
        case .batch(let batch, let resumeReading):
            if resumeReading {
                self.channel.read()
            }
            return batch
        case .end(let end):
            try end.get()
            return nil
        case .wait:
            return try await self.waitForBatch(takingOne: takingOne)
        }
    }

    /// `Mutex.wait` written out with this queue's types: every idle connection's task sits here,
    /// and through the generic wait each one was about a kilobyte larger (7,878 against 6,857
    /// bytes per idle `wire serve` connection, release builds).
    private func waitForBatch(takingOne: Bool) async throws -> [ByteBuffer]? {
        let id = Waiters<Bool, [ByteBuffer]?>.nextID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[ByteBuffer]?, any Error>) in
                let now = self.state.withLock { state -> Result<[ByteBuffer]?, any Error>? in
                    if !state.batches.isEmpty {
                        return .success(takingOne ? state.takeOne() : state.takeFirst())
                    }
                    if let end = state.end { return end.map { nil } }
                    // Set before the handler runs: a task cancelled before it parks sees it here.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters.park(id, takingOne, continuation)
                    return nil
                }
                if let now { continuation.resume(with: now) }
            }
        } onCancel: {
            self.state.withLock { $0.waiters.cancel(id) }?.resume(throwing: CancellationError())
        }
    }
}

extension InboundQueue.State {
    /// Reads were held, and the consumer has taken the queue down to the low watermarks.
    fileprivate var mayResumeReading: Bool {
        self.readHeld && self.batches.count <= InboundQueue.lowWatermark
            && self.queuedBytes <= InboundQueue.lowWatermarkBytes
    }

    fileprivate mutating func takeFirst() -> [ByteBuffer] {
        self.queuedBytes -= self.batchBytes.removeFirst()
        return self.batches.removeFirst()
    }

    /// The first message of the first batch, as a batch of one.
    fileprivate mutating func takeOne() -> [ByteBuffer] {
        guard self.batches[0].count > 1 else { return self.takeFirst() }
        let first = self.batches[0].removeFirst()
        self.batchBytes[0] -= first.readableBytes
        self.queuedBytes -= first.readableBytes
        return [first]
    }
}
