import NIOCore
import NIOEmbedded
import Synchronization
import Testing
import WireFraming

@testable import Wire

/// The handlers a connection really runs, in an `EmbeddedChannel` with virtual time: the batching
/// decoder and the timeout handler after it.
struct ConnectionHandlersTests {
    static func pipeline(
        _ timeouts: ConnectionTimeouts = ConnectionTimeouts()
    ) throws -> (EmbeddedChannel, InboundQueue) {
        let channel = EmbeddedChannel()
        let queue = InboundQueue(channel: channel)
        try channel.pipeline.syncOperations.addHandler(
            MessageBatchDecoder(decoder: MessageDecoder(framing: .header()), queue: queue, timeouts: timeouts)
        )
        if timeouts.areSet {
            let outbound = OutboundBuffer(channel: channel, encoder: MessageEncoder(framing: .header()), peer: "peer")
            try channel.pipeline.syncOperations.addHandler(
                ConnectionTimeoutHandler(timeouts: timeouts, framing: .header(), queue: queue, outbound: outbound)
            )
        }
        _ = try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1))
        return (channel, queue)
    }

    @Test func aReadBurstBecomesOneBatchWhateverItsSplits() async throws {
        let (channel, queue) = try Self.pipeline()
        let bytes = Array("5         hello0         3         abc".utf8)
        // One burst in three reads, split inside a header and inside a body (`writeInbound` would
        // end a burst after each).
        for range in [0..<4, 4..<22, 22..<bytes.count] {
            channel.pipeline.fireChannelRead(ByteBuffer(bytes: bytes[range]))
        }
        channel.pipeline.fireChannelReadComplete()
        let batch = try await queue.next()
        #expect(batch?.map { String(buffer: $0) } == ["hello", "", "abc"])
        try await channel.close().get()
        #expect(try await queue.next() == nil)
    }

    @Test func aPartialMessageAtTheEndIsAnError() async throws {
        let (channel, queue) = try Self.pipeline()
        try channel.writeInbound(ByteBuffer(string: "5         hel"))
        try await channel.close().get()
        await #expect(throws: FramingError.self) { try await queue.next() }
    }

    @Test func anIdleConnectionIsClosedWithTheReasonOnTheEventLoopsClock() async throws {
        let (channel, queue) = try Self.pipeline(ConnectionTimeouts(idle: .seconds(30)))
        let loop = try #require(channel.eventLoop as? EmbeddedEventLoop)
        loop.advanceTime(by: .seconds(20))
        try channel.writeInbound(ByteBuffer(string: "2         hi"))
        channel.pipeline.fireChannelReadComplete()
        #expect(try await queue.next()?.map { String(buffer: $0) } == ["hi"])
        loop.advanceTime(by: .seconds(29))
        #expect(channel.isActive, "30 s from the message, not from the start")
        loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        do {
            _ = try await queue.next()
            Issue.record("the stream ended without the timeout")
        } catch let error as ConnectionError {
            #expect(error.kind == .idleTimeout)
        }
    }

    @Test func heartbeatsGoOutInTheFramingAndThePeersAreNotMessages() async throws {
        let (channel, queue) = try Self.pipeline(ConnectionTimeouts(heartbeat: .seconds(5)))
        let loop = try #require(channel.eventLoop as? EmbeddedEventLoop)
        loop.advanceTime(by: .seconds(5))
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "0         ")
        // The peer's heartbeat, then a message: only the message reaches the reader.
        try channel.writeInbound(ByteBuffer(string: "0         3         abc"))
        channel.pipeline.fireChannelReadComplete()
        #expect(try await queue.next()?.map { String(buffer: $0) } == ["abc"])
        // A write of our own postpones the next heartbeat.
        loop.advanceTime(by: .seconds(3))
        try channel.writeOutbound(ByteBuffer(string: "3         own"))
        _ = try channel.readOutbound(as: ByteBuffer.self)
        loop.advanceTime(by: .seconds(4))
        #expect(
            try channel.readOutbound(as: ByteBuffer.self) == nil,
            "5 s after our write, not after the last heartbeat"
        )
        loop.advanceTime(by: .seconds(1))
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "0         ")
        try await channel.close().get()
    }

    @Test func heartbeatsSentDoNotKeepAnIdleConnectionOpen() async throws {
        let (channel, queue) = try Self.pipeline(ConnectionTimeouts(idle: .seconds(12), heartbeat: .seconds(5)))
        let loop = try #require(channel.eventLoop as? EmbeddedEventLoop)
        loop.advanceTime(by: .seconds(10))
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "0         ")
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "0         ")
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive, "12 s of silence from the peer, whatever this side's heartbeats")
        await #expect(throws: ConnectionError.self) { try await queue.next() }
    }

    @Test func everyWriterKeepsTheOrderTheBytesWereHandedOverIn() async throws {
        let channel = EmbeddedChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1))
        let outbound = OutboundBuffer(channel: channel, encoder: MessageEncoder(framing: .header()), peer: "peer")
        // A send waits for its flush on the event loop; bytes framed for a broadcast, written
        // meanwhile, go after it, not before.
        try await outbound.send(CollectionOfOne(ByteBuffer(string: "first")))
        #expect(outbound.heartbeatFrame() == nil, "no heartbeat while a burst is on its way")
        outbound.writeFramed(ByteBuffer(string: "5         framed"), promise: nil)
        outbound.flushFramed()
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "5         first")
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "5         framed")
        // The scheduled flush finds nothing left; a heartbeat may go again.
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(outbound.heartbeatFrame().map { String(buffer: $0) } == "0         ")
        try await channel.close().get()
    }

    @Test func aHandshakeTakesOneMessageAndLeavesTheRestInOrder() async throws {
        let channel = EmbeddedChannel()
        let queue = InboundQueue(channel: channel)
        queue.push(["a", "b", "c"].map { ByteBuffer(string: $0) }, bytes: 3)
        #expect(try await queue.nextMessage().map { String(buffer: $0) } == "a")
        #expect(try await queue.next()?.map { String(buffer: $0) } == ["b", "c"])
        // Whether it is already waiting when the batch arrives or comes after, a consumer that
        // takes one message gets the first only.
        let waiting = Task { try await queue.nextMessage() }
        queue.push(["d", "e"].map { ByteBuffer(string: $0) }, bytes: 2)
        #expect(try await waiting.value.map { String(buffer: $0) } == "d")
        #expect(try await queue.next()?.map { String(buffer: $0) } == ["e"])
        queue.finish(nil)
        #expect(try await queue.nextMessage() == nil)
    }

    /// A consumer on the event loop polls; when nothing waits, it is called back once when the
    /// next batch or the end comes, and reads held by a full queue resume as it takes the queue down.
    @Test func aPollingConsumerIsCalledBackOnceWhenABatchOrTheEndComes() async throws {
        let (channel, queue) = try Self.pipeline()
        let calls = Mutex(0)
        let ready: @Sendable () -> Void = { calls.withLock { $0 += 1 } }
        guard case .empty = queue.poll(orWhenReady: ready) else {
            Issue.record("an empty queue has nothing to poll")
            return
        }
        try channel.writeInbound(ByteBuffer(string: "1         a1         b"))
        #expect(calls.withLock { $0 } == 1)
        guard case .batch(let batch) = queue.poll(orWhenReady: ready) else {
            Issue.record("the batch is there once the callback came")
            return
        }
        #expect(batch.map { String(buffer: $0) } == ["a", "b"])
        // Taken: no second call for the same batch, none until something new comes.
        try channel.writeInbound(ByteBuffer(string: "1         c"))
        #expect(calls.withLock { $0 } == 1)
        guard case .batch = queue.poll(orWhenReady: ready), case .empty = queue.poll(orWhenReady: ready) else {
            Issue.record("the second batch, then nothing")
            return
        }
        try await channel.close().get()
        #expect(calls.withLock { $0 } == 2, "the end calls back too")
        guard case .end(.success) = queue.poll(orWhenReady: ready) else {
            Issue.record("a clean end")
            return
        }
    }
}
