/// The messages of one subscription, in the order the server sent them.
///
/// Iterate it with `for try await message in subscription`; it ends when the subscription is
/// cancelled with ``unsubscribe()`` or the client is closed. A consumer that lags more than
/// ``NATSClientConfiguration/subscriptionBufferMessages`` behind loses messages, as NATS slow
/// consumers do, and the client reports it as a ``NATSClientEvent/slowConsumer(subject:dropped:)``.
public struct NATSSubscription: AsyncSequence, Sendable {
    public typealias Element = NATSMessage

    /// The subject (possibly with wildcards) subscribed to.
    public let subject: String
    let id: UInt64
    let stream: AsyncStream<NATSMessage>
    let client: NATSClient

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<NATSMessage>.AsyncIterator

        public mutating func next() async -> NATSMessage? {
            await self.base.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.stream.makeAsyncIterator())
    }

    /// Ends the subscription: the server stops sending its messages and the sequence ends.
    public func unsubscribe() async {
        await self.client.unsubscribe(self.id)
    }
}

/// Where a subscription's messages go, on the client's event loop.
enum NATSSubscriptionSink {
    case stream(AsyncStream<NATSMessage>.Continuation)
    case handler(@Sendable (NATSMessage) -> Void)
}
