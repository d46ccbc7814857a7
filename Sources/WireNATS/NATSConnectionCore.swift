import Logging
import NIOCore
import NIOPosix
@_spi(Broadcast) import Wire

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
        /// Learnt from a server's `connect_urls`, not configured.
        var isImplicit: Bool
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

    private(set) var state = State.idle
    private(set) var info: NATSServerInfo?
    private var servers: [Server]
    private var nextServer = 0
    /// Attempts since the last established connection, for the backoff.
    private var failedAttempts = 0
    private var lastFailure = "no attempt yet"
    private var hasConnected = false
    private var firstConnect: [EventLoopPromise<Void>] = []

    private var subscriptions: [UInt64: (subject: String, queueGroup: String?, sink: NATSSubscriptionSink)] = [:]
    private var nextSubscriptionID: UInt64 = 0
    private var pending: [Pending] = []
    private var pendingBytes = 0

    private var outbound: ByteBuffer
    private var flushScheduled = false
    private var writableWaiters: [EventLoopPromise<Void>] = []
    /// One entry per PING sent on the current connection: a caller's flush, or `nil` for a keepalive.
    private var pongWaiters = CircularBuffer<EventLoopPromise<Void>?>()
    private var outstandingPings = 0
    private var pingTask: RepeatedTask?

    init(loop: any EventLoop, configuration: NATSClientConfiguration, logger: Logger, events: AsyncStream<NATSClientEvent>.Continuation) {
        self.loop = loop
        self.configuration = configuration
        self.logger = logger
        self.events = events
        self.servers = configuration.servers.map { Server(address: $0, isImplicit: false) }
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

    // MARK: Connecting

    private func attempt() {
        guard !self.isClosed else { return }
        let index = self.chooseServer()
        let server = self.servers[index].address
        self.state = .connecting(index: index)
        self.logger.debug("connecting to NATS", metadata: ["nats.server": "\(server)"])
        let bound = NIOLoopBound(self, eventLoop: self.loop)
        let timeout = TimeAmount(self.configuration.connectTimeout)
        ClientBootstrap(group: self.loop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // The server's own control lines may be longer than the 4 KiB it allows its
                    // clients (a MSG for a long subject, an INFO with many connect_urls).
                    let operations = ByteToMessageHandler(NATSServerOperationDecoder(maximumControlLineLength: 64 * 1024))
                    try channel.pipeline.syncOperations.addHandlers([operations, NATSClientHandler(core: bound.value)])
                }
            }
            .connect(host: server.host, port: server.port)
            .whenComplete { result in
                let core = bound.value
                switch result {
                case .success(let channel):
                    guard case .connecting(index) = core.state else {
                        // Closed meanwhile.
                        channel.close(promise: nil)
                        return
                    }
                    core.state = .handshaking(channel, index: index, sentConnect: false)
                    // The whole handshake must finish in time too.
                    core.loop.scheduleTask(in: timeout) {
                        let core = bound.value
                        if case .handshaking(let current, _, _) = core.state, current === channel {
                            core.lastFailure = "no answer to CONNECT within \(core.configuration.connectTimeout)"
                            channel.close(promise: nil)
                        }
                    }
                case .failure(let error):
                    guard case .connecting(index) = core.state else { return }
                    let reason = WireClient.connectionError(error, host: server.host, port: server.port, timeout: core.configuration.connectTimeout)
                    core.attemptFailed(reason: reason.description, server: server)
                }
            }
    }

    /// The next server to try: round robin, skipping servers in lame-duck mode while others exist.
    private func chooseServer() -> Int {
        let count = self.servers.count
        for offset in 0..<count {
            let index = (self.nextServer + offset) % count
            if !self.servers[index].isLameDuck {
                self.nextServer = (index + 1) % count
                return index
            }
        }
        let index = self.nextServer % count
        self.nextServer = (index + 1) % count
        return index
    }

    private func attemptFailed(reason: String, server: NATSServerAddress) {
        self.lastFailure = reason
        self.failedAttempts += 1
        self.events.yield(.connectionAttemptFailed(server, reason: reason))
        let servers = self.servers.map(\.address.description).joined(separator: ",")
        self.logger.debug("NATS connection attempt failed", metadata: ["nats.reason": "\(reason)", "nats.attempt": "\(self.failedAttempts)"])
        if !self.hasConnected && !self.configuration.retriesFirstConnect && self.failedAttempts >= self.servers.count {
            // One round of every server, and none answered.
            let error = NATSClientError.connectFailed(servers: servers, reason: reason)
            for promise in self.firstConnect { promise.fail(error) }
            self.firstConnect.removeAll()
            self.state = .idle
            self.failedAttempts = 0
            self.failWaiters(error)
            return
        }
        self.scheduleAttempt()
    }

    private func scheduleAttempt() {
        // A different server is tried at once; the same one after a doubling wait, with jitter.
        let round = max(0, (self.failedAttempts - 1) / max(1, self.servers.count))
        let base = TimeAmount(self.configuration.reconnectWait).nanoseconds
        let cap = TimeAmount(self.configuration.maximumReconnectWait).nanoseconds
        let (doubled, overflow) = base.multipliedReportingOverflow(by: Int64(1) << min(round, 20))
        var wait = self.failedAttempts % max(1, self.servers.count) == 0 || self.servers.count == 1
            ? (overflow ? cap : min(cap, doubled)) : 0
        if wait > 0 {
            wait = Int64(Double(wait) * Double.random(in: 0.75...1.25))
        }
        let bound = NIOLoopBound(self, eventLoop: self.loop)
        self.state = .waiting(self.loop.scheduleTask(in: .nanoseconds(wait)) { bound.value.attempt() })
    }

    // MARK: What the server sends

    func received(_ operation: NATSServerOperation, on channel: any Channel) {
        switch self.state {
        case .handshaking(let current, let index, let sentConnect) where current === channel:
            self.handshake(operation, channel: channel, index: index, sentConnect: sentConnect)
        case .connected(let current, let index) where current === channel:
            self.operate(operation, channel: channel, index: index)
        default:
            // A channel that is on its way out.
            break
        }
    }

    private func handshake(_ operation: NATSServerOperation, channel: any Channel, index: Int, sentConnect: Bool) {
        switch operation {
        case .info(let json):
            guard !sentConnect else {
                self.updateInfo(json, index: index)
                return
            }
            let info: NATSServerInfo
            do {
                info = try NATSServerInfo(json: json)
            } catch {
                self.lastFailure = "\(error)"
                channel.close(promise: nil)
                return
            }
            self.info = info
            let server = self.servers[index].address
            let usesTLS = server.requiresTLS || info.requiresTLS
            if usesTLS {
                do {
                    let tls = try self.configuration.tls ?? WireTLS.client()
                    try channel.pipeline.syncOperations.addHandler(tls.makeHandler(host: server.host), position: .first)
                } catch {
                    self.lastFailure = "TLS: \(error)"
                    channel.close(promise: nil)
                    return
                }
            }
            let options = NATSConnectOptions(
                tlsRequired: usesTLS,
                name: self.configuration.name,
                echo: self.configuration.echo,
                user: server.user,
                pass: server.password,
                authToken: server.token
            )
            var bytes = channel.allocator.buffer(capacity: 256)
            NATSClientOperation.connect(options.json).write(into: &bytes)
            NATSClientOperation.ping.write(into: &bytes)
            channel.writeAndFlush(bytes, promise: nil)
            self.state = .handshaking(channel, index: index, sentConnect: true)
            self.learnServers(from: info, index: index)
        case .ping:
            // Straight to the channel: the outbound buffer is only sent once connected.
            var pong = channel.allocator.buffer(capacity: 6)
            NATSClientOperation.pong.write(into: &pong)
            channel.writeAndFlush(pong, promise: nil)
        case .pong:
            guard sentConnect else { return }
            self.established(channel, index: index)
        case .error(let text):
            self.lastFailure = "the server said: \(text)"
            self.logger.warning("NATS server refused the connection", metadata: ["nats.error": "\(text)"])
            channel.close(promise: nil)
        case .ok, .message:
            break
        }
    }

    private func established(_ channel: any Channel, index: Int) {
        let server = self.servers[index].address
        self.state = .connected(channel, index: index)
        // A server that was in lame-duck mode and takes clients again has been restarted.
        self.servers[index].isLameDuck = false
        self.failedAttempts = 0
        self.outstandingPings = 0
        self.pongWaiters.removeAll()
        self.outbound = channel.allocator.buffer(capacity: 16 * 1024)
        // Subscriptions first, then what was published while disconnected, in order.
        for (id, subscription) in self.subscriptions.sorted(by: { $0.key < $1.key }) {
            NATSClientOperation.subscribe(subject: subscription.subject, queueGroup: subscription.queueGroup, subscriptionID: String(id))
                .write(into: &self.outbound)
        }
        let limit = self.info?.maximumPayload ?? Int.max
        for publish in self.pending {
            if publish.size > limit {
                let reason = NATSClientError.payloadTooLarge(size: publish.size, limit: limit).description
                self.events.yield(.publishDropped(subject: publish.subject, reason: reason))
                continue
            }
            self.outbound.writeImmutableBuffer(publish.bytes)
        }
        self.pending.removeAll()
        self.pendingBytes = 0
        self.flushOutbound()
        self.startPinging(channel)
        let first = !self.hasConnected
        self.hasConnected = true
        self.logger.info(first ? "connected to NATS" : "reconnected to NATS", metadata: ["nats.server": "\(server)"])
        self.events.yield(first ? .connected(server) : .reconnected(server))
        for promise in self.firstConnect { promise.succeed() }
        self.firstConnect.removeAll()
        self.resumeWritableWaiters()
    }

    private func operate(_ operation: NATSServerOperation, channel: any Channel, index: Int) {
        switch operation {
        case .message(let message):
            self.deliver(message)
        case .ping:
            self.write(.pong, on: channel)
        case .pong:
            self.outstandingPings = 0
            if let waiter = self.pongWaiters.popFirst() {
                waiter?.succeed()
            }
        case .info(let json):
            self.updateInfo(json, index: index)
        case .error(let text):
            let lowered = text.lowercased()
            if lowered.hasPrefix("invalid subject") || lowered.hasPrefix("permissions violation")
                || lowered.hasPrefix("maximum subscriptions exceeded")
            {
                self.logger.warning("NATS server error", metadata: ["nats.error": "\(text)"])
                self.events.yield(.serverError(text))
            } else {
                // Every other -ERR ends the connection; the server closes it, and so do we.
                self.lastFailure = "the server said: \(text)"
                self.logger.warning("NATS server closed the connection", metadata: ["nats.error": "\(text)"])
                channel.close(promise: nil)
            }
        case .ok:
            break
        }
    }

    private func updateInfo(_ json: ByteBuffer, index: Int) {
        guard let info = try? NATSServerInfo(json: json) else {
            // An update that does not parse changes nothing; the connection goes on as it was.
            self.logger.debug("NATS INFO update not understood", metadata: ["nats.info": "\(String(buffer: json).prefix(200))"])
            return
        }
        self.info = info
        self.learnServers(from: info, index: index)
        if info.isLameDuck && !self.servers[index].isLameDuck {
            self.servers[index].isLameDuck = true
            self.logger.info("NATS server is in lame-duck mode", metadata: ["nats.server": "\(self.servers[index].address)"])
            self.events.yield(.lameDuckMode(self.servers[index].address))
        }
    }

    /// Adds the cluster's other servers, with the credentials of the one that told of them.
    private func learnServers(from info: NATSServerInfo, index: Int) {
        let current = self.servers[index].address
        for url in info.connectURLs {
            guard var address = try? NATSServerAddress(parsing: url) else { continue }
            guard !self.servers.contains(where: { $0.address.isSameServer(as: address) }) else { continue }
            address.requiresTLS = current.requiresTLS
            address.user = current.user
            address.password = current.password
            address.token = current.token
            self.servers.append(Server(address: address, isImplicit: true))
        }
    }

    private func deliver(_ message: NATSMessage) {
        guard let id = UInt64(message.subscriptionID), let subscription = self.subscriptions[id] else {
            // A message for a subscription just cancelled.
            return
        }
        switch subscription.sink {
        case .handler(let handler):
            handler(message)
        case .stream(let continuation):
            if case .dropped = continuation.yield(message) {
                self.events.yield(.slowConsumer(subject: subscription.subject, dropped: 1))
            }
        }
    }

    // MARK: Losing the connection

    func closed(_ channel: any Channel, error: (any Error)?) {
        if let error { self.lastFailure = Self.describe(error) }
        switch self.state {
        case .handshaking(let current, let index, _) where current === channel:
            self.attemptFailed(reason: self.lastFailure, server: self.servers[index].address)
        case .connected(let current, let index) where current === channel:
            self.stopPinging()
            self.failWaiters(NATSClientError.connectionLost)
            self.outbound.clear()
            self.flushScheduled = false
            let reason = error.map(Self.describe) ?? (self.lastFailure == "no attempt yet" ? "the server closed the connection" : self.lastFailure)
            self.logger.info("lost the connection to NATS", metadata: ["nats.server": "\(self.servers[index].address)", "nats.reason": "\(reason)"])
            self.events.yield(.disconnected(reason: reason))
            self.lastFailure = "the server closed the connection"
            self.failedAttempts = 1
            self.scheduleAttempt()
        default:
            break
        }
    }

    private func failWaiters(_ error: NATSClientError) {
        let waiters = self.pongWaiters
        self.pongWaiters.removeAll()
        for waiter in waiters { waiter?.fail(error) }
        // Publishers waiting for a full socket go on. What they handed over went down with the
        // connection, as everything in flight does in core NATS (at most once); their next
        // publishes are buffered for the next connection.
        self.resumeWritableWaiters()
    }

    // MARK: Pings

    private func startPinging(_ channel: any Channel) {
        self.stopPinging()
        let bound = NIOLoopBound(self, eventLoop: self.loop)
        let interval = TimeAmount(self.configuration.pingInterval)
        self.pingTask = self.loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            bound.value.keepalive(channel)
        }
    }

    private func stopPinging() {
        self.pingTask?.cancel()
        self.pingTask = nil
    }

    private func keepalive(_ channel: any Channel) {
        guard case .connected(let current, _) = self.state, current === channel else { return }
        if self.outstandingPings >= self.configuration.maximumOutstandingPings {
            let error = NATSClientError.staleConnection(pings: self.outstandingPings)
            self.lastFailure = error.description
            channel.close(promise: nil)
            return
        }
        self.outstandingPings += 1
        self.pongWaiters.append(nil)
        self.write(.ping, on: channel)
    }

    /// Sends PING; the future succeeds when its PONG arrives, so everything sent before it has
    /// been processed by the server.
    func flush() -> EventLoopFuture<Void> {
        switch self.state {
        case .connected(let channel, _):
            let promise = self.loop.makePromise(of: Void.self)
            self.pongWaiters.append(promise)
            self.write(.ping, on: channel)
            return promise.futureResult
        case .closed:
            return self.loop.makeFailedFuture(NATSClientError.closed)
        default:
            return self.loop.makeFailedFuture(NATSClientError.connectionLost)
        }
    }

    // MARK: Writing

    private func write(_ operation: NATSClientOperation, on channel: any Channel) {
        operation.write(into: &self.outbound)
        self.scheduleFlush()
    }

    private func scheduleFlush() {
        guard !self.flushScheduled else { return }
        self.flushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: self.loop)
        self.loop.execute { bound.value.flushOutbound() }
    }

    private func flushOutbound() {
        self.flushScheduled = false
        guard case .connected(let channel, _) = self.state, self.outbound.readableBytes > 0 else { return }
        let bytes = self.outbound
        self.outbound = channel.allocator.buffer(capacity: max(16 * 1024, bytes.readableBytes / 2))
        channel.writeAndFlush(bytes, promise: nil)
    }

    /// Publishes, or keeps the message for the next connection. The future succeeds when the
    /// message is handed to the connection (waiting while the socket is full) or buffered.
    func publish(subject: String, replyTo: String?, headers: ByteBuffer?, payload: ByteBuffer) -> EventLoopFuture<Void> {
        let size = payload.readableBytes + (headers?.readableBytes ?? 0)
        if let limit = self.info?.maximumPayload, size > limit {
            return self.loop.makeFailedFuture(NATSClientError.payloadTooLarge(size: size, limit: limit))
        }
        if headers != nil, let info = self.info, !info.supportsHeaders {
            // The server would end the connection for an HPUB.
            return self.loop.makeFailedFuture(NATSClientError.headersNotSupported)
        }
        let operation = NATSClientOperation.publish(subject: subject, replyTo: replyTo, headers: headers, payload: payload)
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
                return self.loop.makeFailedFuture(NATSClientError.reconnectBufferFull(limit: self.configuration.reconnectBufferBytes))
            }
            self.pendingBytes += bytes.readableBytes
            self.pending.append(Pending(subject: subject, size: size, bytes: bytes))
            return self.loop.makeSucceededVoidFuture()
        }
    }

    /// Whether a publish now would be written rather than buffered, and the socket has room.
    var isWritable: Bool {
        if case .connected(let channel, _) = self.state { return channel.isWritable }
        return false
    }

    func writabilityChanged(on channel: any Channel) {
        guard case .connected(let current, _) = self.state, current === channel, channel.isWritable else { return }
        self.resumeWritableWaiters()
    }

    private func resumeWritableWaiters() {
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
