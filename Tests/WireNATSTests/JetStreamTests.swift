import Foundation
import NIOCore
import Synchronization
import Testing
import WireNATS
import WireTestSupport

/// The JetStream client against a real `nats-server -js`, started by each test on a free port
/// with a store of its own.
@Suite(.timeLimit(.minutes(1)), .enabled(if: NATSServerProcess.shouldRun))
struct JetStreamTests {
    static func connected(_ server: NATSServerProcess, pingInterval: Duration = .seconds(120)) async throws -> JetStream
    {
        let client = NATSClient(
            configuration: NATSClientConfiguration(
                servers: [try NATSServerAddress(parsing: server.url)],
                pingInterval: pingInterval,
                reconnectWait: .milliseconds(50),
                maximumReconnectWait: .milliseconds(200),
                connectTimeout: .seconds(30)
            )
        )
        try await client.connect()
        return JetStream(client: client)
    }

    /// Reads `count` messages from `consumer` (within a minute: the suite's limit stops a hang).
    static func read(_ count: Int, from consumer: JetStreamOrderedConsumer) async -> [JetStreamMessage] {
        var messages: [JetStreamMessage] = []
        var iterator = consumer.makeAsyncIterator()
        while messages.count < count, let message = await iterator.next() {
            messages.append(message)
        }
        return messages
    }

    @Test func tellsAServerWithJetStreamFromOneWithout() async throws {
        let plain = try await NATSServerProcess()
        defer { plain.stop() }
        let withJetStream = try await NATSServerProcess(jetStream: true)
        defer { withJetStream.stop() }
        let started = ContinuousClock.now
        let without = try await Self.connected(plain)
        // Nobody answers on $JS.API, and the server says so at once (a 503), not after a timeout.
        #expect(try await without.isAvailable() == false)
        #expect(ContinuousClock.now - started < .seconds(5))
        let error = await #expect(throws: JetStreamError.self) {
            try await without.streamInfo("ROOM")
        }
        #expect(error?.isNotEnabled == true)
        #expect(error?.description == "the NATS server does not offer JetStream (nobody answers on $JS.API)")
        #expect(try await Self.connected(withJetStream).isAvailable() == true)
        await without.client.close()
    }

    @Test func createsUpdatesDescribesAndDeletesAStream() async throws {
        let server = try await NATSServerProcess(jetStream: true)
        defer { server.stop() }
        let js = try await Self.connected(server)
        #expect(try await js.streamInfo("ROOM") == nil)
        var configuration = JetStreamStreamConfiguration(
            name: "ROOM",
            subjects: ["room.>"],
            maximumAge: .seconds(3600),
            maximumBytes: 1 << 20,
            duplicateWindow: .seconds(60)
        )
        let created = try await js.createOrUpdateStream(configuration)
        #expect(created.configuration == configuration)
        #expect(created.state.lastSequence == 0)
        // The same again is no change; other limits are an update.
        #expect(try await js.createOrUpdateStream(configuration).configuration == configuration)
        configuration.maximumMessages = 1000
        #expect(try await js.createOrUpdateStream(configuration).configuration.maximumMessages == 1000)
        #expect(try await js.streamInfo("ROOM")?.configuration.maximumMessages == 1000)

        // Refusals are typed, with the server's code and a sentence.
        var replicated = configuration
        replicated.name = "WIDE"
        replicated.subjects = ["wide.>"]
        replicated.replicas = 3
        let refused = await #expect(throws: JetStreamError.self) {
            try await js.createOrUpdateStream(replicated)
        }
        #expect(refused?.apiErrorCode == 10074)
        #expect(
            refused?.description
                == "JetStream refused to create stream WIDE: replicas > 1 not supported in non-clustered mode (500, error 10074)"
        )
        let badName = await #expect(throws: JetStreamError.self) {
            try await js.streamInfo("a.b")
        }
        #expect(
            badName?.description
                == "\"a.b\" cannot name a stream or consumer: it must be non-empty, without spaces, '.', '*', '>', '/' or '\\'"
        )

        #expect(try await js.deleteStream("ROOM") == true)
        #expect(try await js.deleteStream("ROOM") == false)
        #expect(try await js.streamInfo("ROOM") == nil)
        await js.client.close()
    }

    @Test func aMessageSentTwiceWithOneIDIsStoredOnce() async throws {
        let server = try await NATSServerProcess(jetStream: true)
        defer { server.stop() }
        let js = try await Self.connected(server)
        _ = try await js.createOrUpdateStream(JetStreamStreamConfiguration(name: "ROOM", subjects: ["room.>"]))
        let first = try await js.publish(ByteBuffer(string: "hello"), to: "room.a", messageID: "node1-1")
        #expect(first.stream == "ROOM")
        #expect(first.sequence == 1)
        #expect(first.isDuplicate == false)
        let again = try await js.publish(ByteBuffer(string: "hello"), to: "room.a", messageID: "node1-1")
        #expect(again.sequence == 1)
        #expect(again.isDuplicate == true)
        let next = try await js.publish(
            ByteBuffer(string: "world"),
            to: "room.b",
            messageID: "node1-2",
            headers: ["Sender": "alice"]
        )
        #expect(next.sequence == 2)
        #expect(try await js.streamInfo("ROOM")?.state.messages == 2)

        let stored = try #require(try await js.storedMessage(stream: "ROOM", sequence: 2))
        #expect(stored.subject == "room.b")
        #expect(String(buffer: stored.payload) == "world")
        #expect(stored.headers?["Sender"] == "alice")
        #expect(stored.headers?["Nats-Msg-Id"] == "node1-2")
        #expect(try await js.storedMessage(stream: "ROOM", sequence: 3) == nil)

        // A subject no stream keeps: nothing acknowledges it, said in a sentence after the timeout.
        let lost = await #expect(throws: JetStreamError.self) {
            try await js.publish(ByteBuffer(string: "x"), to: "elsewhere", timeout: .milliseconds(500))
        }
        #expect(
            lost?.description.hasPrefix("no stream acknowledged a message on \"elsewhere\" within 0.5 seconds: ")
                == true
        )
        await #expect(throws: JetStreamError.self) {
            try await js.publish(ByteBuffer(string: "x"), to: "room.a", messageID: "has space")
        }
        await js.client.close()
    }

    @Test func readsAStreamInOrderFromAnyPosition() async throws {
        let server = try await NATSServerProcess(jetStream: true)
        defer { server.stop() }
        let js = try await Self.connected(server)
        _ = try await js.createOrUpdateStream(JetStreamStreamConfiguration(name: "ROOM", subjects: ["room.>"]))
        for index in 1...100 {
            _ = try await js.publish(ByteBuffer(string: "\(index)"), to: index % 2 == 0 ? "room.even" : "room.odd")
        }
        let all = try await js.orderedConsumer(stream: "ROOM")
        let everything = await Self.read(100, from: all)
        #expect(everything.map(\.streamSequence) == Array(1...100))
        #expect(everything.map { String(buffer: $0.payload) } == (1...100).map(String.init))
        #expect(everything.last?.pending == 0)
        all.stop()

        let fromFifty = try await js.orderedConsumer(stream: "ROOM", from: .sequence(50))
        #expect(await Self.read(51, from: fromFifty).map(\.streamSequence) == Array(50...100))
        fromFifty.stop()

        let odd = try await js.orderedConsumer(stream: "ROOM", filterSubject: "room.odd", from: .sequence(90))
        #expect(await Self.read(5, from: odd).map(\.streamSequence) == [91, 93, 95, 97, 99])
        odd.stop()

        // From the next one: what is published after it starts.
        let new = try await js.orderedConsumer(stream: "ROOM", from: .new)
        _ = try await js.publish(ByteBuffer(string: "101"), to: "room.odd")
        #expect(await Self.read(1, from: new).map(\.streamSequence) == [101])
        new.stop()
        // A stopped consumer ends its iteration.
        var ended = new.makeAsyncIterator()
        #expect(await ended.next() == nil)
        await js.client.close()
    }

    @Test func anOrderedConsumerGoesOnThroughAServerKilledAndStartedAgain() async throws {
        let server = try await NATSServerProcess(jetStream: true)
        defer { server.stop() }
        let js = try await Self.connected(server)
        _ = try await js.createOrUpdateStream(JetStreamStreamConfiguration(name: "ROOM", subjects: ["room.>"]))
        for index in 1...50 {
            _ = try await js.publish(ByteBuffer(string: "\(index)"), to: "room.a", messageID: "before-\(index)")
        }
        let consumer = try await js.orderedConsumer(stream: "ROOM", heartbeat: .milliseconds(300))
        #expect(await Self.read(50, from: consumer).map(\.streamSequence) == Array(1...50))

        // The server dies without a word and comes back on the same store: the consumer was in
        // its memory and is gone; the client notices the silence and makes a new one from 51.
        server.signal(SIGKILL)
        try await server.restart()
        for index in 51...80 {
            _ = try await js.publish(ByteBuffer(string: "\(index)"), to: "room.a", messageID: "after-\(index)")
        }
        let after = await Self.read(30, from: consumer)
        #expect(after.map(\.streamSequence) == Array(51...80))
        #expect(after.map { String(buffer: $0.payload) } == (51...80).map(String.init))
        consumer.stop()
        await js.client.close()
    }

    @Test func aReaderThatStopsHoldsTheServerBackAndLosesNothing() async throws {
        let server = try await NATSServerProcess(jetStream: true)
        defer { server.stop() }
        let js = try await Self.connected(server)
        _ = try await js.createOrUpdateStream(JetStreamStreamConfiguration(name: "BIG", subjects: ["big"]))
        // 40 MiB in the stream, more than the largest flow-control window (32 MiB).
        let payload = ByteBuffer(repeating: 0x61, count: 64 * 1024)
        for _ in 0..<640 {
            _ = try await js.publish(payload, to: "big")
        }
        let consumer = try await js.orderedConsumer(stream: "BIG")
        var iterator = consumer.makeAsyncIterator()
        let first = await iterator.next()
        #expect(first?.streamSequence == 1)
        // The reader pauses: the server may send up to its window (2 MiB at first, since nothing
        // was answered), then waits for the answer the reader has not caught up to give.
        try await Task.sleep(for: .seconds(1))
        let buffered = consumer.bufferedMessages
        #expect(buffered < 64, "\(buffered) messages of 64 KiB waiting in memory")
        // It reads on: everything arrives, once and in order.
        var sequences: [UInt64] = [1]
        while sequences.count < 640, let message = await iterator.next() {
            sequences.append(message.streamSequence)
        }
        #expect(sequences == Array(1...640))
        consumer.stop()
        await js.client.close()
    }

    @Test func aHandlerOnTheLoopGetsEveryMessageInOrderPausesAndResumes() async throws {
        let server = try await NATSServerProcess(jetStream: true)
        defer { server.stop() }
        let js = try await Self.connected(server)
        _ = try await js.createOrUpdateStream(JetStreamStreamConfiguration(name: "BIG", subjects: ["big"]))
        // Published from the loop, one after the other as each is acknowledged: 12.5 MiB, more than
        // the first flow-control window (2 MiB).
        let payload = ByteBuffer(repeating: 0x61, count: 64 * 1024)
        var acknowledged: [UInt64] = []
        for index in 1...200 {
            let ack = try await js.publishSoon(payload, to: "big", messageID: "m-\(index)").get()
            acknowledged.append(ack.sequence)
        }
        #expect(acknowledged == Array(1...200))
        #expect(try await js.publishSoon(payload, to: "big", messageID: "m-7").get().isDuplicate)

        let consumer = try await js.orderedConsumer(stream: "BIG")
        let (events, arrived) = AsyncStream.makeStream(of: UInt64.self)
        let onLoop = Mutex(true)
        let handled = Mutex(0)
        let loop = js.client.eventLoop
        let reader = Task {
            await consumer.run { message in
                if !loop.inEventLoop { onLoop.withLock { $0 = false } }
                handled.withLock { $0 += 1 }
                arrived.yield(message.streamSequence)
                // Pauses after the first: the next ones wait here, within the server's window.
                return message.streamSequence != 1
            }
            arrived.finish()
        }
        var iterator = events.makeAsyncIterator()
        #expect(await iterator.next() == 1)
        // The server sends ahead while the handler is paused: wait until some are here.
        while consumer.bufferedMessages == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        let buffered = consumer.bufferedMessages
        #expect(buffered < 64, "\(buffered) messages of 64 KiB waiting in memory")
        #expect(buffered > 0, "the server sends ahead, within its window")
        #expect(handled.withLock { $0 } == 1)
        consumer.resume()
        var sequences: [UInt64] = [1]
        while sequences.count < 200, let sequence = await iterator.next() {
            sequences.append(sequence)
        }
        #expect(sequences == Array(1...200))
        #expect(onLoop.withLock { $0 })
        // Cancelling the reader stops the consumer and ends `run`.
        reader.cancel()
        await reader.value
        #expect(await iterator.next() == nil)
        await js.client.close()
    }
}
