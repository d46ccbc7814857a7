import Foundation
import NIOCore
import Testing
import Wire
import WireNATS
import WireSecurity
import WireTestSupport

/// The NATS client against a real nats-server that each test starts on a free port.
@Suite(.timeLimit(.minutes(1)), .enabled(if: NATSServerProcess.shouldRun))
struct NATSClientTests {
    static func client(
        _ server: NATSServerProcess,
        url: String? = nil,
        configure: (inout NATSClientConfiguration) -> Void = { _ in }
    ) throws -> NATSClient {
        var configuration = NATSClientConfiguration(
            servers: [try NATSServerAddress(parsing: url ?? server.url)],
            connectTimeout: .seconds(30)
        )
        configure(&configuration)
        return NATSClient(configuration: configuration)
    }

    /// Waits for the first event that matches.
    static func waitFor(
        _ events: inout AsyncStream<NATSClientEvent>.AsyncIterator,
        _ matches: (NATSClientEvent) -> Bool
    ) async -> NATSClientEvent? {
        while let event = await events.next() {
            if matches(event) { return event }
        }
        return nil
    }

    @Test func publishesAndReceivesInOrder() async throws {
        let server = try await NATSServerProcess()
        defer { server.stop() }
        let publisher = try Self.client(server)
        let subscriber = try Self.client(server)
        try await publisher.connect()
        try await subscriber.connect()
        let messages = try await subscriber.subscribe(to: "room.>")
        try await subscriber.flush()
        let count = 10_000
        for index in 0..<count {
            try await publisher.publish(ByteBuffer(string: "text \(index)"), to: "room.\(index % 3)")
        }
        try await publisher.flush()
        var received = 0
        for await message in messages {
            #expect(String(buffer: message.payload) == "text \(received)")
            #expect(message.subject == "room.\(received % 3)")
            received += 1
            if received == count { break }
        }
        #expect(received == count)
        await publisher.close()
        await subscriber.close()
    }

    @Test func requestsGetTheirRepliesNoRespondersAndTimeouts() async throws {
        let server = try await NATSServerProcess()
        defer { server.stop() }
        let responder = try Self.client(server)
        let requester = try Self.client(server)
        try await responder.connect()
        try await requester.connect()
        let requests = try await responder.subscribe(to: "upper")
        let answering = Task {
            for await request in requests {
                guard let replyTo = request.replyTo else { continue }
                try await responder.publish(
                    ByteBuffer(string: String(buffer: request.payload).uppercased()),
                    to: replyTo
                )
            }
        }
        try await responder.flush()
        // Several at once: each gets its own answer.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    let reply = try await requester.request(ByteBuffer(string: "hello \(index)"), to: "upper")
                    #expect(String(buffer: reply.payload) == "HELLO \(index)")
                }
            }
            try await group.waitForAll()
        }
        // Nobody subscribed: the server says so at once (a 503 status), long before the timeout.
        let started = ContinuousClock.now
        let nobody = await #expect(throws: NATSClientError.self) {
            try await requester.request(ByteBuffer(string: "anyone?"), to: "nobody.listens", timeout: .seconds(30))
        }
        #expect(nobody?.isNoResponders == true)
        #expect(
            nobody?.description == "nobody answers requests on \"nobody.listens\": the server knows no subscriber to it"
        )
        #expect(ContinuousClock.now - started < .seconds(30))
        // A subscriber that never answers: the request times out.
        let silent = try await responder.subscribe(to: "silent")
        try await responder.flush()
        let error = await #expect(throws: NATSClientError.self) {
            try await requester.request(ByteBuffer(string: "anyone?"), to: "silent", timeout: .milliseconds(200))
        }
        #expect(error?.isRequestTimeout == true)
        #expect(error?.description == "no reply to a request on \"silent\" within 0.2 seconds")
        await silent.unsubscribe()
        answering.cancel()
        await responder.close()
        await requester.close()
    }

    @Test func refusesAPublishAboveMaxPayloadBeforeSendingIt() async throws {
        let server = try await NATSServerProcess(config: "max_payload: 1024\n")
        defer { server.stop() }
        let client = try Self.client(server)
        try await client.connect()
        #expect(await client.serverInfo?.maximumPayload == 1024)
        let messages = try await client.subscribe(to: "big")
        try await client.publish(ByteBuffer(repeating: 0x61, count: 1024), to: "big")
        let error = await #expect(throws: NATSClientError.self) {
            try await client.publish(ByteBuffer(repeating: 0x61, count: 1025), to: "big")
        }
        #expect(error?.isPayloadTooLarge == true)
        #expect(error?.description == "a message of 1025 bytes is larger than the server's max_payload of 1024 bytes")
        // The connection is still up: the server never saw the large one.
        try await client.publish(ByteBuffer(string: "after"), to: "big")
        try await client.flush()
        var iterator = messages.makeAsyncIterator()
        #expect(await iterator.next()?.payload.readableBytes == 1024)
        #expect(await iterator.next().map { String(buffer: $0.payload) } == "after")
        await client.close()
    }

    @Test func answersTheServersPings() async throws {
        let server = try await ScriptedNATSServer.start()
        let (client, connection) = try await server.connectClient()
        for _ in 0..<3 {
            try await connection.send("PING\r\n")
            try await connection.expect("PONG")
        }
        await client.close()
    }

    @Test func aServerThatKeepsSendingIsAliveThoughItsPongsAreLate() async throws {
        // A busy connection: the server's PONGs wait behind its messages (here, for ever). Its
        // messages prove that it is there; once they stop, the unanswered pings tell.
        let server = try await ScriptedNATSServer.start()
        let (client, connection) = try await server.connectClient {
            $0.pingInterval = .milliseconds(500)
            $0.maximumOutstandingPings = 2
        }
        let events = client.events
        let next = Task {
            var iterator = events.makeAsyncIterator()
            let connected = await iterator.next()
            let ending = await iterator.next()
            return (connected, ending, ContinuousClock.now)
        }
        // Messages every 25 ms for 3 s, on the server connection's event loop: six ping intervals,
        // where two unanswered pings would do without them.
        let loop = connection.channel.eventLoop
        let sending = loop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(25)) {
            [channel = connection.channel] _ in
            channel.writeAndFlush(ByteBuffer(string: "MSG busy 1 1\r\nx\r\n"), promise: nil)
        }
        try await Task.sleep(for: .seconds(3))
        sending.cancel()
        let stopped = ContinuousClock.now
        let (connected, ending, endedAt) = await next.value
        #expect(connected == .connected(server.address))
        #expect(ending == .disconnected(reason: "the NATS server did not answer 2 pings: the connection is stale"))
        #expect(endedAt > stopped, "taken for stale \(stopped - endedAt) before the messages stopped")
        await client.close()
    }

    @Test func tellsANonFatalErrorFromAFatalOne() async throws {
        let server = try await ScriptedNATSServer.start()
        let scripted = server.address
        let (client, connection) = try await server.connectClient()
        var events = client.events.makeAsyncIterator()
        #expect(await events.next() == .connected(scripted))

        // A permissions violation is reported, and the connection goes on.
        try await connection.send("-ERR 'Permissions Violation for Publish to \"secret\"'\r\n")
        #expect(await events.next() == .serverError("Permissions Violation for Publish to \"secret\""))
        try await connection.send("PING\r\n")
        try await connection.expect("PONG")

        // Any other error ends the connection; the client comes back by itself.
        try await connection.send("-ERR 'Unknown Protocol Operation'\r\n")
        #expect(await events.next() == .disconnected(reason: "the server said: Unknown Protocol Operation"))
        let again = try await server.accept()
        #expect(await events.next() == .reconnected(scripted))
        try await again.send("PING\r\n")
        try await again.expect("PONG")
        await client.close()
    }

    @Test func answersAPingDuringTheHandshakeAndRefusesHeadersTheServerCannotTake() async throws {
        let server = try await ScriptedNATSServer.start()
        let (client, connection) = try await server.connectClient(
            info: #"{"server_id":"old","max_payload":1048576,"headers":false}"#,
            pingDuringHandshake: true
        )
        await #expect(throws: NATSClientError.headersNotSupported) {
            try await client.publish(ByteBuffer(string: "x"), to: "s", headers: ByteBuffer(string: "NATS/1.0\r\n\r\n"))
        }
        try await client.publish(ByteBuffer(string: "plain"), to: "s")
        #expect(try await connection.expect("PUB ") == "PUB s 5")
        await client.close()
    }

    @Test func followsINFOUpdatesLameDuckModeAndTheServersItLearns() async throws {
        let real = try await NATSServerProcess()
        defer { real.stop() }
        let server = try await ScriptedNATSServer.start()
        let scripted = server.address
        let (client, connection) = try await server.connectClient()
        var events = client.events.makeAsyncIterator()
        #expect(await events.next() == .connected(scripted))

        // A smaller max_payload applies at once; the cluster's other server is learnt.
        try await connection.send(
            #"INFO {"server_id":"scripted","max_payload":100,"connect_urls":["127.0.0.1:\#(real.port)"]}"# + "\r\n"
        )
        try await connection.send("PING\r\n")
        try await connection.expect("PONG")
        let error = await #expect(throws: NATSClientError.self) {
            try await client.publish(ByteBuffer(repeating: 0, count: 101), to: "x")
        }
        #expect(error?.isPayloadTooLarge == true)

        try await connection.send(#"INFO {"server_id":"scripted","ldm":true}"# + "\r\n")
        #expect(await events.next() == .lameDuckMode(scripted))
        // The server goes away; the client moves to the server it learnt, not back to the lame duck.
        try await connection.close()
        #expect(await events.next() == .disconnected(reason: "the server closed the connection"))
        #expect(await events.next() == .reconnected(NATSServerAddress(host: "127.0.0.1", port: real.port)))
        #expect(await client.serverInfo?.maximumPayload == 1024 * 1024)
        try await client.publish(ByteBuffer(repeating: 0, count: 101), to: "x")
        await client.close()
    }
}
