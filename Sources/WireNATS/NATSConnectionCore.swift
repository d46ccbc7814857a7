import Logging
import NIOCore
import NIOPosix
import Wire

/// The state of a ``NATSClient``, confined to its event loop: the connection and its handshake,
/// the known servers, the subscriptions, pings, publishes buffered while disconnected, and the
/// reconnect schedule.
final class NATSConnectionCore {
    enum State {
        /// Not started yet.
        case idle
        /// A TCP connection is being made to `servers[index]`.
        case connecting(index: Int)
        /// Connected; waiting for INFO, then for the PONG that answers CONNECT.
        case handshaking(any Channel, index: Int, sentConnect: Bool)
        /// Ready.
        case connected(any Channel, index: Int)
        /// Between attempts.
        case waiting(Scheduled<Void>)
        case closed
    }

    struct Server {
        var address: NATSServerAddress
        var isLameDuck = false
    }

    /// A publish kept while disconnected.
    struct Pending {
        var subject: String
        var size: Int
        var bytes: ByteBuffer
    }

    let loop: any EventLoop
    let configuration: NATSClientConfiguration
    let logger: Logger
    let events: AsyncStream<NATSClientEvent>.Continuation

    var state = State.idle
    var info: NATSServerInfo?
    var servers: [Server]
    var nextServer = 0
    /// Attempts since the last established connection, for the backoff.
    var failedAttempts = 0
    var lastFailure = "no attempt yet"
    /// The last refusal warned about, so that a reconnect loop warns once.
    var lastRefusal: String?
    var hasConnected = false
    var firstConnect: [EventLoopPromise<Void>] = []

    var subscriptions: [UInt64: (subject: String, queueGroup: String?, sink: NATSSubscriptionSink)] = [:]
    var nextSubscriptionID: UInt64 = 0
    var pending: [Pending] = []
    var pendingBytes = 0

    var outbound: ByteBuffer
    var flushScheduled = false
    var writableWaiters: [EventLoopPromise<Void>] = []
    /// One entry per PING sent on the current connection: a caller's flush, or `nil` for a keepalive.
    var pongWaiters = CircularBuffer<EventLoopPromise<Void>?>()
    var outstandingPings = 0
    var pingTask: RepeatedTask?

    init(
        loop: any EventLoop,
        configuration: NATSClientConfiguration,
        logger: Logger,
        events: AsyncStream<NATSClientEvent>.Continuation
    ) {
        self.loop = loop
        self.configuration = configuration
        self.logger = logger
        self.events = events
        self.servers = configuration.servers.map { Server(address: $0) }
        self.outbound = ByteBufferAllocator().buffer(capacity: 0)
    }

    var isClosed: Bool {
        if case .closed = self.state { return true }
        return false
    }

    var connectedServer: NATSServerAddress? {
        if case .connected(_, let index) = self.state { return self.servers[index].address }
        return nil
    }

    // MARK: Starting and stopping

    /// Starts connecting if not started; the future succeeds once connected, and fails after one
    /// round of every server unless the configuration retries.
    func start(waitForConnection: Bool) -> EventLoopFuture<Void> {
        switch self.state {
        case .closed:
            return self.loop.makeFailedFuture(NATSClientError.closed)
        case .connected:
            return self.loop.makeSucceededVoidFuture()
        case .idle:
            self.attempt()
        case .connecting, .handshaking, .waiting:
            break
        }
        guard waitForConnection else { return self.loop.makeSucceededVoidFuture() }
        let promise = self.loop.makePromise(of: Void.self)
        self.firstConnect.append(promise)
        return promise.futureResult
    }

    func close() -> EventLoopFuture<Void> {
        let channel: (any Channel)?
        switch self.state {
        case .closed:
            return self.loop.makeSucceededVoidFuture()
        case .waiting(let scheduled):
            scheduled.cancel()
            channel = nil
        case .handshaking(let c, _, _), .connected(let c, _):
            channel = c
        case .idle, .connecting:
            channel = nil
        }
        if case .connected = self.state { self.flushOutbound() }
        self.state = .closed
        self.stopPinging()
        for promise in self.firstConnect { promise.fail(NATSClientError.closed) }
        self.firstConnect.removeAll()
        self.failWaiters(NATSClientError.closed)
        for (_, subscription) in self.subscriptions {
            if case .stream(let continuation) = subscription.sink { continuation.finish() }
        }
        self.subscriptions.removeAll()
        self.pending.removeAll()
        self.pendingBytes = 0
        self.events.yield(.closed)
        self.events.finish()
        guard let channel else { return self.loop.makeSucceededVoidFuture() }
        let promise = self.loop.makePromise(of: Void.self)
        channel.close(promise: promise)
        return promise.futureResult.recover { _ in }
    }

    // MARK: Writing

    func write(_ operation: NATSClientOperation, on channel: any Channel) {
        operation.write(into: &self.outbound)
        self.scheduleFlush()
    }

    func scheduleFlush() {
        guard !self.flushScheduled else { return }
        self.flushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: self.loop)
        self.loop.execute { bound.value.flushOutbound() }
    }

    func flushOutbound() {
        self.flushScheduled = false
        guard case .connected(let channel, _) = self.state, self.outbound.readableBytes > 0 else { return }
        let bytes = self.outbound
        self.outbound = channel.allocator.buffer(capacity: max(16 * 1024, bytes.readableBytes / 2))
        channel.writeAndFlush(bytes, promise: nil)
    }

    /// Publishes, or keeps the message for the next connection. The future succeeds when the
    /// message is handed to the connection (waiting while the socket is full) or buffered.
    func publish(subject: String, replyTo: String?, headers: ByteBuffer?, payload: ByteBuffer) -> EventLoopFuture<Void>
    {
        let size = payload.readableBytes + (headers?.readableBytes ?? 0)
        if let limit = self.info?.maximumPayload, size > limit {
            return self.loop.makeFailedFuture(NATSClientError.payloadTooLarge(size: size, limit: limit))
        }
        if headers != nil, let info = self.info, !info.supportsHeaders {
            // The server would end the connection for an HPUB.
            return self.loop.makeFailedFuture(NATSClientError.headersNotSupported)
        }
        let operation = NATSClientOperation.publish(
            subject: subject,
            replyTo: replyTo,
            headers: headers,
            payload: payload
        )
        switch self.state {
        case .closed:
            return self.loop.makeFailedFuture(NATSClientError.closed)
        case .connected(let channel, _):
            operation.write(into: &self.outbound)
            self.scheduleFlush()
            guard !channel.isWritable else { return self.loop.makeSucceededVoidFuture() }
            let promise = self.loop.makePromise(of: Void.self)
            self.writableWaiters.append(promise)
            return promise.futureResult
        case .idle:
            return self.loop.makeFailedFuture(NATSClientError.notStarted)
        case .connecting, .handshaking, .waiting:
            var bytes = ByteBufferAllocator().buffer(capacity: size + subject.utf8.count + 32)
            operation.write(into: &bytes)
            guard self.pendingBytes + bytes.readableBytes <= self.configuration.reconnectBufferBytes else {
                return self.loop.makeFailedFuture(
                    NATSClientError.reconnectBufferFull(limit: self.configuration.reconnectBufferBytes)
                )
            }
            self.pendingBytes += bytes.readableBytes
            self.pending.append(Pending(subject: subject, size: size, bytes: bytes))
            return self.loop.makeSucceededVoidFuture()
        }
    }

    func writabilityChanged(on channel: any Channel) {
        guard case .connected(let current, _) = self.state, current === channel, channel.isWritable else { return }
        self.resumeWritableWaiters()
    }

    func resumeWritableWaiters() {
        let waiters = self.writableWaiters
        self.writableWaiters.removeAll()
        for waiter in waiters { waiter.succeed() }
    }

    // MARK: Subscriptions

    func subscribe(subject: String, queueGroup: String?, sink: NATSSubscriptionSink) -> UInt64? {
        guard !self.isClosed else { return nil }
        self.nextSubscriptionID += 1
        let id = self.nextSubscriptionID
        self.subscriptions[id] = (subject, queueGroup, sink)
        if case .connected(let channel, _) = self.state {
            self.write(.subscribe(subject: subject, queueGroup: queueGroup, subscriptionID: String(id)), on: channel)
        }
        return id
    }

    func unsubscribe(_ id: UInt64) {
        guard let subscription = self.subscriptions.removeValue(forKey: id) else { return }
        if case .stream(let continuation) = subscription.sink { continuation.finish() }
        if case .connected(let channel, _) = self.state {
            self.write(.unsubscribe(subscriptionID: String(id), afterMessages: nil), on: channel)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError {
            return error.description
        }
        if let error = error as? ChannelError, case .connectTimeout(let amount) = error {
            return "no answer within \(Duration.nanoseconds(amount.nanoseconds))"
        }
        return "\(error)"
    }
}
