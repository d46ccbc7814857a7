import Foundation
import NIOCore
import Testing
import Wire
import WireNATS
import WireSecurity
import WireTestSupport

/// The client's connection: a frozen or restarted server, the reconnect buffer, authentication,
/// TLS, and no server at all.
extension NATSClientTests {
    @Test func findsAFrozenServerDeadAndReconnectsWhenItThaws() async throws {
        let server = try await NATSServerProcess()
        defer { server.stop() }
        let client = try Self.client(server) { $0.pingInterval = .milliseconds(100) }
        var events = client.events.makeAsyncIterator()
        try await client.connect()
        _ = await events.next()
        server.signal(SIGSTOP)
        let lost = await Self.waitFor(&events) { if case .disconnected = $0 { true } else { false } }
        #expect(lost == .disconnected(reason: "the NATS server did not answer 2 pings: the connection is stale"))
        server.signal(SIGCONT)
        let back = await Self.waitFor(&events) { if case .reconnected = $0 { true } else { false } }
        #expect(back == .reconnected(try NATSServerAddress(parsing: server.url)))
        try await client.flush()
        await client.close()
    }

    @Test func survivesARestartResubscribesAndSendsWhatWasPublishedMeanwhile() async throws {
        let server = try await NATSServerProcess()
        defer { server.stop() }
        let client = try Self.client(server)
        var events = client.events.makeAsyncIterator()
        try await client.connect()
        _ = await events.next()
        let messages = try await client.subscribe(to: "log")
        try await client.publish(ByteBuffer(string: "before"), to: "log")
        try await client.flush()
        server.stop()
        _ = await Self.waitFor(&events) { if case .disconnected = $0 { true } else { false } }
        // Buffered while the server is away, sent in order once it is back.
        for index in 0..<100 {
            try await client.publish(ByteBuffer(string: "while down \(index)"), to: "log")
        }
        await #expect(throws: NATSClientError.connectionLost) { try await client.flush() }
        try await server.restart()
        _ = await Self.waitFor(&events) { if case .reconnected = $0 { true } else { false } }
        try await client.publish(ByteBuffer(string: "after"), to: "log")
        try await client.flush()
        var iterator = messages.makeAsyncIterator()
        #expect(await iterator.next().map { String(buffer: $0.payload) } == "before")
        for index in 0..<100 {
            #expect(await iterator.next().map { String(buffer: $0.payload) } == "while down \(index)")
        }
        #expect(await iterator.next().map { String(buffer: $0.payload) } == "after")
        await client.close()
    }

    @Test func aRequestMadeWhileTheServerIsAwayIsAnsweredOnceItIsBack() async throws {
        let server = try await NATSServerProcess()
        defer { server.stop() }
        // Its own responder: on reconnect its subscriptions (the responder's and the request
        // inbox, made while the server was away) go out before what it published meanwhile.
        let client = try Self.client(server)
        var events = client.events.makeAsyncIterator()
        try await client.connect()
        _ = await events.next()
        _ = try await client.subscribe(to: "upper") { request in
            guard let replyTo = request.replyTo else { return }
            Task {
                try? await client.publish(ByteBuffer(string: String(buffer: request.payload).uppercased()), to: replyTo)
            }
        }
        try await client.flush()
        server.stop()
        _ = await Self.waitFor(&events) { if case .disconnected = $0 { true } else { false } }
        let reply = Task {
            try await client.request(ByteBuffer(string: "while away"), to: "upper", timeout: .seconds(60))
        }
        try await server.restart()
        _ = await Self.waitFor(&events) { if case .reconnected = $0 { true } else { false } }
        #expect(try await String(buffer: reply.value.payload) == "WHILE AWAY")
        await client.close()
    }

    @Test func failsPublishesOnceTheReconnectBufferIsFull() async throws {
        let server = try await NATSServerProcess()
        defer { server.stop() }
        let client = try Self.client(server) { $0.reconnectBufferBytes = 1000 }
        var events = client.events.makeAsyncIterator()
        try await client.connect()
        server.stop()
        _ = await Self.waitFor(&events) { if case .disconnected = $0 { true } else { false } }
        var accepted = 0
        var failure: NATSClientError?
        while failure == nil {
            do {
                try await client.publish(ByteBuffer(repeating: 0x62, count: 100), to: "full")
                accepted += 1
            } catch let error as NATSClientError {
                failure = error
            }
        }
        #expect((5...9).contains(accepted), "\(accepted) publishes of 100 bytes fit 1000 bytes")
        #expect(failure?.isReconnectBufferFull == true)
        #expect(failure?.description == "the client is disconnected and its buffer of 1000 bytes for publishes is full")
        await client.close()
    }

    @Test func authenticatesWithUserAndPasswordOrToken() async throws {
        let server = try await NATSServerProcess(arguments: ["--user", "alice", "--pass", "s3cret"])
        defer { server.stop() }
        let good = try Self.client(server, url: "nats://alice:s3cret@127.0.0.1:\(server.port)")
        try await good.connect()
        try await good.flush()
        await good.close()
        let bad = try Self.client(server, url: "nats://alice:wrong@127.0.0.1:\(server.port)")
        let error = await #expect(throws: NATSClientError.self) { try await bad.connect() }
        #expect(error?.isAuthorizationFailure == true, "\(String(describing: error))")
        await bad.close()

        let tokenServer = try await NATSServerProcess(arguments: ["--auth", "t0ken"])
        defer { tokenServer.stop() }
        let token = try Self.client(tokenServer, url: "nats://t0ken@127.0.0.1:\(tokenServer.port)")
        try await token.connect()
        try await token.flush()
        await token.close()
    }

    @Test func upgradesToTLSWhenTheServerRequiresIt() async throws {
        let certificates = try await TestCertificates.make()
        let server = try await NATSServerProcess(arguments: [
            "--tls", "--tlscert", certificates.certificate, "--tlskey", certificates.key,
        ])
        defer { server.stop() }
        let client = try Self.client(server, url: "tls://localhost:\(server.port)") {
            $0.tls = try? WireTLS.client(trustedCertificatesPath: certificates.authority)
        }
        let messages = try await {
            try await client.connect()
            return try await client.subscribe(to: "secret")
        }()
        try await client.publish(ByteBuffer(string: "over TLS"), to: "secret")
        var iterator = messages.makeAsyncIterator()
        #expect(await iterator.next().map { String(buffer: $0.payload) } == "over TLS")
        await client.close()

        // A client that does not trust the server's authority cannot connect.
        let untrusting = try Self.client(server, url: "tls://localhost:\(server.port)") {
            $0.tls = try? WireTLS.client(trustedCertificatesPath: certificates.otherAuthority)
        }
        await #expect(throws: NATSClientError.self) { try await untrusting.connect() }
        await untrusting.close()
    }

    @Test func reportsThatNoServerAnswers() async throws {
        let server = try await NATSServerProcess()
        defer { server.stop() }
        let refusing = try RefusingPort()
        let port = refusing.port
        let client = try Self.client(server, url: "nats://127.0.0.1:\(port)")
        let error = await #expect(throws: NATSClientError.self) { try await client.connect() }
        #expect(
            error?.description.hasPrefix("cannot connect to NATS at nats://127.0.0.1:\(port): ") == true,
            "\(String(describing: error))"
        )
        await client.close()
    }
}
