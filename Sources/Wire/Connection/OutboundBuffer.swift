import CoreMetrics
import NIOCore
import Synchronization
import WireFraming

/// The sending half of a ``WireConnection``: frames messages into a shared buffer and flushes
/// once per burst, with backpressure counted in bytes.
///
/// It is the connection's one writer: the handler's messages and the bytes a broadcast framed once
/// (``writeFramed(_:promise:)``) leave through it, so they reach the socket in the order they
/// were handed over, and it decides when a heartbeat of ``ConnectionTimeoutHandler`` may go.
///
/// `send` encodes a small message straight into the current batch buffer under a lock; a large
/// payload is queued as it is, after its header, and never copied. The first send of a burst
/// schedules one flush on the event loop; every send until that flush runs joins the same batch,
/// so a burst of messages costs one `writev`, while a lone message waits for nothing but that hop.
///
/// Bytes count as unwritten from `send` until the kernel has taken them. Above
/// `highWatermark` unwritten bytes, `send` suspends until they drop to `lowWatermark`, so a peer
/// that stops reading holds at most about `highWatermark` bytes of this side's memory.
final class OutboundBuffer: Sendable {
    /// Payloads at least this large are queued as they are instead of being copied into a batch.
    static let copyLimit = 16 * 1024

    private struct State {
        var queued: [ByteBuffer] = []
        var batch = ByteBuffer()
        var unwrittenBytes = 0
        var flushScheduled = false
        var closed = false
        /// Senders waiting until at most so many bytes (their condition) are unwritten.
        var waiters = Waiters<Int, Void>()

        /// Takes the waiters that can go on: those whose threshold is met succeed, and once the
        /// connection is closed, every other one fails.
        mutating func takeReadyWaiters(closedError: ConnectionError) -> [Waiters<Int, Void>.Resumption] {
            guard !self.waiters.isEmpty else { return [] }
            let (unwritten, closed) = (self.unwrittenBytes, self.closed)
            return self.waiters.take { threshold in
                if unwritten <= threshold { return .success(()) }
                return closed ? .failure(closedError) : nil
            }
        }
    }

    let channel: any Channel
    let encoder: MessageEncoder
    let highWatermark: Int
    let lowWatermark: Int
    let peer: String
    /// A server connection's `wire_sent_bytes_total`: counted once per buffer written (a burst
    /// of sends, or a broadcast's slice), not per message.
    let sentBytes: CoreMetrics.Counter?
    private let state = Mutex(State())

    init(
        channel: any Channel,
        encoder: MessageEncoder,
        peer: String,
        sentBytes: CoreMetrics.Counter? = nil,
        highWatermark: Int = 1 << 22,
        lowWatermark: Int = 1 << 21
    ) {
        self.sentBytes = sentBytes
        self.channel = channel
        self.encoder = encoder
        self.peer = peer
        self.highWatermark = highWatermark
        self.lowWatermark = lowWatermark
    }

    private var closedError: ConnectionError {
        ConnectionError.closed(peer: self.peer)
    }

    /// Queues `messages`, framed, and waits while too many bytes are unwritten.
    func send(_ messages: some Collection<ByteBuffer>) async throws {
        for message in messages {
            try self.encoder.validate(message)
        }
        let (mustSchedule, mustWait) = try self.state.withLock { state throws(ConnectionError) -> (Bool, Bool) in
            guard !state.closed else { throw self.closedError }
            for message in messages {
                self.append(message, to: &state)
            }
            let mustSchedule = !state.flushScheduled
            state.flushScheduled = true
            return (mustSchedule, state.unwrittenBytes > self.highWatermark)
        }
        if mustSchedule {
            self.channel.eventLoop.execute { self.flush() }
        }
        if mustWait {
            try await self.waitUntilUnwritten(atMost: self.lowWatermark)
        }
    }

    private func append(_ message: ByteBuffer, to state: inout State) {
        let length = message.readableBytes
        state.unwrittenBytes += length + self.encoder.overhead(forLength: length)
        if length < Self.copyLimit {
            if state.batch.capacity == 0 {
                state.batch = self.channel.allocator.buffer(capacity: max(4096, 2 * (length + 16)))
            }
            self.encoder.writePrefix(length: length, into: &state.batch)
            state.batch.writeImmutableBuffer(message)
            self.encoder.writeSuffix(into: &state.batch)
        } else {
            self.encoder.writePrefix(length: length, into: &state.batch)
            if state.batch.readableBytes > 0 {
                state.queued.append(state.batch)
                state.batch = ByteBuffer()
            }
            state.queued.append(message)
            self.encoder.writeSuffix(into: &state.batch)
        }
    }

    /// Writes everything queued and flushes once; runs on the event loop.
    private func flush() {
        self.writePending(endingBurst: true)
        self.channel.flush()
    }

    /// Writes what `send` queued so far, without a flush; runs on the event loop. At the end of
    /// a burst (the scheduled flush), the next `send` schedules a new one.
    private func writePending(endingBurst: Bool) {
        let buffers = self.state.withLock { state -> [ByteBuffer] in
            if endingBurst {
                state.flushScheduled = false
            }
            if state.batch.readableBytes > 0 {
                state.queued.append(state.batch)
                state.batch = ByteBuffer()
            }
            guard !state.queued.isEmpty else { return [] }
            defer { state.queued.removeAll(keepingCapacity: true) }
            return state.queued
        }
        if let sentBytes = self.sentBytes, !buffers.isEmpty {
            sentBytes.increment(by: buffers.reduce(0) { $0 + $1.readableBytes })
        }
        for buffer in buffers {
            let promise = self.channel.eventLoop.makePromise(of: Void.self)
            let bytes = buffer.readableBytes
            promise.futureResult.whenComplete { result in
                self.written(bytes: bytes, failed: result.isFailure)
            }
            self.channel.write(buffer, promise: promise)
        }
    }

    /// Writes bytes framed already in this connection's framing, after everything sent before
    /// them, without a flush (see ``flushFramed()``); runs on the event loop. Their size is the
    /// caller's to bound: they do not count toward `send`'s backpressure.
    func writeFramed(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
        self.channel.eventLoop.preconditionInEventLoop()
        self.writePending(endingBurst: false)
        self.sentBytes?.increment(by: bytes.readableBytes)
        self.channel.write(bytes, promise: promise)
    }

    /// Hands what ``writeFramed(_:promise:)`` wrote to the socket; runs on the event loop.
    func flushFramed() {
        self.channel.flush()
    }

    /// One empty message for a heartbeat, unless bytes are on their way out already (they show
    /// the peer that this side is alive just as well) or the connection is closed; runs on the
    /// event loop. The timeout handler writes it from its place in the pipeline, after everything
    /// written before it.
    func heartbeatFrame() -> ByteBuffer? {
        self.channel.eventLoop.preconditionInEventLoop()
        let idle = self.state.withLock { !$0.closed && !$0.flushScheduled }
        guard idle else { return nil }
        var frame = self.channel.allocator.buffer(capacity: 16)
        self.encoder.writePrefix(length: 0, into: &frame)
        self.encoder.writeSuffix(into: &frame)
        return frame
    }

    private func written(bytes: Int, failed: Bool) {
        let ready = self.state.withLock { state in
            state.unwrittenBytes -= bytes
            if failed {
                state.closed = true
            }
            return state.takeReadyWaiters(closedError: self.closedError)
        }
        for waiter in ready { waiter.resume() }
    }

    /// Waits until at most `threshold` bytes are unwritten; throws if the connection closes first.
    func waitUntilUnwritten(atMost threshold: Int) async throws {
        try await self.state.wait(in: \.waiters, for: threshold) { state in
            if state.unwrittenBytes <= threshold { return .success(()) }
            return state.closed ? .failure(self.closedError) : nil
        }
    }

    /// Refuses further sends.
    func markClosed() {
        let ready = self.state.withLock { state in
            state.closed = true
            return state.takeReadyWaiters(closedError: self.closedError)
        }
        for waiter in ready { waiter.resume() }
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
