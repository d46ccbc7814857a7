public import Logging
public import NIOCore
public import NIOPosix
import Synchronization

/// A client of the core NATS protocol: publish, subscribe, and a connection that looks after
/// itself.
///
/// It answers the server's pings and pings the server to find a dead one; it follows `INFO`
/// updates (other servers of the cluster, `max_payload`, lame-duck mode); it refuses a publish
/// above the server's `max_payload` before sending anything; and when the connection is lost it
/// reconnects with backoff to any known server, subscribes again and sends what was published
/// meanwhile (up to ``NATSClientConfiguration/reconnectBufferBytes``).
///
/// ```swift
/// let nats = NATSClient(configuration: NATSClientConfiguration(servers: [try NATSServerAddress(parsing: "nats://127.0.0.1:4222")]))
/// try await nats.connect()
/// let greetings = try await nats.subscribe(to: "greetings")
/// try await nats.publish(ByteBuffer(string: "hello"), to: "greetings")
/// for await message in greetings { print(String(buffer: message.payload)) }
/// ```
///
/// All of its state lives on one event loop; every method may be called from anywhere.
public final class NATSClient: Sendable {
    /// What happens to the connection; one consumer should iterate it.
    public let events: AsyncStream<NATSClientEvent>
    public let configuration: NATSClientConfiguration
    /// The event loop the client's state lives on.
    public let eventLoop: any EventLoop
    let core: NIOLoopBoundBox<NATSConnectionCore>
    /// The subscription for replies to ``request(_:to:timeout:)``, made on the first request.
    let inbox = Mutex<RequestInbox?>(nil)

    public init(
        configuration: NATSClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "wire.nats", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        let (events, continuation) = AsyncStream.makeStream(
            of: NATSClientEvent.self,
            bufferingPolicy: .bufferingNewest(1024)
        )
        self.events = events
        self.configuration = configuration
        self.eventLoop = eventLoopGroup.next()
        // Made here, off the loop, and handed over whole: from now on only the loop touches it.
        self.core = NIOLoopBoundBox.makeBoxSendingValue(
            NATSConnectionCore(
                loop: self.eventLoop,
                configuration: configuration,
                logger: logger,
                events: continuation
            ),
            eventLoop: self.eventLoop
        )
    }

    private func onLoop<T: Sendable>(
        _ body: @escaping @Sendable (NATSConnectionCore) -> EventLoopFuture<T>
    ) -> EventLoopFuture<T> {
        let core = self.core
        if self.eventLoop.inEventLoop {
            return body(core.value)
        }
        return self.eventLoop.flatSubmit { body(core.value) }
    }

    /// Connects, and returns once the first connection is up. Fails after trying every server
    /// once, unless ``NATSClientConfiguration/retriesFirstConnect`` is set.
    public func connect() async throws {
        try await self.onLoop { $0.start(waitForConnection: true) }.get()
    }

    /// Starts connecting in the background: publishes are buffered until the connection is up,
    /// and ``events`` tells when it is.
    public func start() {
        _ = self.onLoop { $0.start(waitForConnection: false) }
    }

    /// Publishes `payload` to `subject`. Returns once the message is handed to the connection
    /// (waiting while the socket is full) or buffered for the next one. As in core NATS, delivery
    /// is at most once: a message handed to a connection that is then lost is lost with it; one
    /// published while the client knows it is disconnected waits for the next connection.
    ///
    /// - Throws: ``NATSClientError`` when the message is above the server's `max_payload`, the
    ///   client is disconnected with a full buffer, or it is closed.
    public func publish(
        _ payload: ByteBuffer,
        to subject: String,
        replyTo: String? = nil,
        headers: ByteBuffer? = nil
    ) async throws {
        try Self.check(subject)
        if let replyTo { try Self.check(replyTo) }
        try await self.onLoop { $0.publish(subject: subject, replyTo: replyTo, headers: headers, payload: payload) }
            .get()
    }

    /// Publishes without waiting: the publishes of one caller keep their order, and a failure is
    /// reported through the returned future.
    @discardableResult
    public func publishSoon(
        _ payload: ByteBuffer,
        to subject: String,
        headers: ByteBuffer? = nil
    ) -> EventLoopFuture<Void> {
        do {
            try Self.check(subject)
        } catch {
            return self.eventLoop.makeFailedFuture(error)
        }
        return self.onLoop { $0.publish(subject: subject, replyTo: nil, headers: headers, payload: payload) }
    }

    /// Subscribes to `subject` (wildcards `*` and `>` allowed), optionally in a queue group.
    public func subscribe(to subject: String, queueGroup: String? = nil) async throws -> NATSSubscription {
        try Self.check(subject)
        if let queueGroup { try Self.check(queueGroup) }
        let (stream, continuation) = AsyncStream.makeStream(
            of: NATSMessage.self,
            bufferingPolicy: .bufferingOldest(self.configuration.subscriptionBufferMessages)
        )
        let id = try await self.onLoop { core -> EventLoopFuture<UInt64> in
            guard let id = core.subscribe(subject: subject, queueGroup: queueGroup, sink: .stream(continuation)) else {
                return core.loop.makeFailedFuture(NATSClientError.closed)
            }
            return core.loop.makeSucceededFuture(id)
        }.get()
        let core = self.core
        let loop = self.eventLoop
        continuation.onTermination = { _ in
            // A consumer that stops iterating ends the subscription.
            loop.execute { core.value.unsubscribe(id) }
        }
        return NATSSubscription(subject: subject, id: id, stream: stream, client: self)
    }

    /// Subscribes with a handler called on the client's event loop for every message, in order;
    /// it must not block. Returns the subscription's identity, for ``unsubscribe(_:)``.
    public func subscribe(
        to subject: String,
        queueGroup: String? = nil,
        handler: @escaping @Sendable (NATSMessage) -> Void
    ) async throws -> UInt64 {
        try Self.check(subject)
        if let queueGroup { try Self.check(queueGroup) }
        return try await self.onLoop { core -> EventLoopFuture<UInt64> in
            guard let id = core.subscribe(subject: subject, queueGroup: queueGroup, sink: .handler(handler)) else {
                return core.loop.makeFailedFuture(NATSClientError.closed)
            }
            return core.loop.makeSucceededFuture(id)
        }.get()
    }

    /// Ends a subscription.
    public func unsubscribe(_ id: UInt64) async {
        // Takes effect in order with what this caller does next on the client.
        let core = self.core
        if self.eventLoop.inEventLoop {
            core.value.unsubscribe(id)
            return
        }
        self.eventLoop.execute { core.value.unsubscribe(id) }
    }

    /// Waits until the server has processed everything sent so far (a PING and its PONG).
    public func flush() async throws {
        try await self.onLoop { $0.flush() }.get()
    }

    /// What the server said of itself last, if connected once.
    public var serverInfo: NATSServerInfo? {
        get async {
            // Fails only if the event loop has shut down, and then there is nothing to tell.
            try? await self.eventLoop.submit { [core] in core.value.info }.get()
        }
    }

    /// The server the client is connected to now, or `nil` while disconnected.
    public var connectedServer: NATSServerAddress? {
        get async {
            // As above: nil when the loop is gone, which is not connected either.
            try? await self.eventLoop.submit { [core] in core.value.connectedServer }.get()
        }
    }

    /// Sends what is waiting, closes the connection and ends every subscription.
    public func close() async {
        do {
            try await self.onLoop { $0.close() }.get()
        } catch {
            // Closing cannot fail: an error here means the connection was gone already.
        }
    }

    static func check(_ subject: String) throws(NATSClientError) {
        guard !subject.isEmpty, !subject.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw NATSClientError.invalidSubject(subject)
        }
    }
}
