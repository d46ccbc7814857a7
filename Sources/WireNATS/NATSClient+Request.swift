public import NIOCore
import Synchronization

/// Request and reply: a message with a reply subject, and the first answer to it.
extension NATSClient {
    /// Publishes `payload` to `subject` with a reply subject of this client's, and returns the first
    /// reply. All requests share one subscription (`_INBOX.<random>.*`), made on the first.
    ///
    /// - Throws: ``NATSClientError`` when nobody is subscribed to `subject` (the server says so at
    ///   once, with a `503` status), no reply comes within `timeout`, or the publish is refused.
    public func request(
        _ payload: ByteBuffer,
        to subject: String,
        headers: NATSHeaders? = nil,
        timeout: Duration = .seconds(5)
    ) async throws -> NATSMessage {
        try await self.requestSoon(payload, to: subject, headers: headers, timeout: timeout).get()
    }

    /// ``request(_:to:headers:timeout:)`` without waiting: the first reply, or the failure, comes
    /// through the returned future, on the client's event loop. For callers that live on the
    /// loop and must not hop to a task for every request.
    public func requestSoon(
        _ payload: ByteBuffer,
        to subject: String,
        headers: NATSHeaders? = nil,
        timeout: Duration = .seconds(5)
    ) -> EventLoopFuture<NATSMessage> {
        do {
            try Self.check(subject)
        } catch {
            return self.eventLoop.makeFailedFuture(error)
        }
        let encodedHeaders = headers?.encoded()
        return self.requestInbox().flatMap { inbox in
            let token = inbox.nextToken()
            let reply = self.eventLoop.makePromise(of: NATSMessage.self)
            inbox.pending.withLock { $0[token] = reply }
            let timer = self.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                if let waiting = inbox.pending.withLock({ $0.removeValue(forKey: token) }) {
                    waiting.fail(NATSClientError.requestTimedOut(subject: subject, after: timeout))
                }
            }
            let core = self.core
            core.value.publish(
                subject: subject,
                replyTo: "\(inbox.prefix).\(token)",
                headers: encodedHeaders,
                payload: payload
            )
            .whenFailure { error in
                if let waiting = inbox.pending.withLock({ $0.removeValue(forKey: token) }) {
                    waiting.fail(error)
                }
            }
            return reply.futureResult.always { _ in timer.cancel() }.flatMapThrowing { message in
                if message.payload.readableBytes == 0, message.parsedHeaders?.status == 503 {
                    throw NATSClientError.noResponders(subject: subject)
                }
                return message
            }
        }
    }

    /// The inbox, subscribed: every request waits until the subscription is on its way, the ones
    /// that came while the first was making it included (a reply to a request published before it
    /// would go nowhere). The future completes on the client's event loop.
    private func requestInbox() -> EventLoopFuture<RequestInbox> {
        if let inbox = self.inbox.withLock({ $0 }) {
            return inbox.ready.futureResult.hop(to: self.eventLoop).map { inbox }
        }
        let candidate = RequestInbox(
            prefix: "_INBOX." + String(UInt64.random(in: 0...UInt64.max), radix: 36),
            ready: self.eventLoop.makePromise(of: Void.self)
        )
        let (inbox, isNew) = self.inbox.withLock { current -> (RequestInbox, Bool) in
            if let current { return (current, false) }
            current = candidate
            return (candidate, true)
        }
        if isNew {
            let handler: @Sendable (NATSMessage) -> Void = { message in
                let token = String(message.subject.dropFirst(inbox.prefix.count + 1))
                // A late reply, after the timeout, finds nobody waiting and is dropped.
                inbox.pending.withLock { $0.removeValue(forKey: token) }?.succeed(message)
            }
            let core = self.core
            self.eventLoop.execute {
                // No flush needed: the subscription goes out (or, while reconnecting, is replayed)
                // before anything published after this point, and the server takes a connection's
                // operations in order.
                if core.value.subscribe(subject: inbox.prefix + ".*", queueGroup: nil, sink: .handler(handler)) != nil {
                    inbox.ready.succeed()
                } else {
                    // Only a closed client refuses a subscription; a request after it fails the same way.
                    self.inbox.withLock { $0 = nil }
                    inbox.ready.fail(NATSClientError.closed)
                }
            }
        } else {
            // Not made by this request: no use for its promise, which must not leak unfulfilled.
            candidate.ready.succeed()
        }
        return inbox.ready.futureResult.hop(to: self.eventLoop).map { inbox }
    }
}

/// The replies this client waits for, by the last token of their reply subject.
final class RequestInbox: Sendable {
    let prefix: String
    /// Succeeds once the inbox's subscription is on its way to the server.
    let ready: EventLoopPromise<Void>
    let pending = Mutex<[String: EventLoopPromise<NATSMessage>]>([:])
    private let counter = Atomic<UInt64>(0)

    init(prefix: String, ready: EventLoopPromise<Void>) {
        self.prefix = prefix
        self.ready = ready
    }

    func nextToken() -> String {
        String(self.counter.wrappingAdd(1, ordering: .relaxed).newValue, radix: 36)
    }
}
