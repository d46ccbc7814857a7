import NIOCore
import NIOPosix
import Testing
import Wire
import WireFraming

@Suite(.timeLimit(.minutes(1)))
struct WireClientTests {
    @Test func saysWhenNothingListens() async throws {
        // Bind a port, then free it, so that nothing listens there.
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        let error = await #expect(throws: ConnectionError.self) {
            try await WireClient.withConnection(host: "127.0.0.1", port: port) { _ in }
        }
        #expect(error?.description == "connection to 127.0.0.1:\(port) refused: nothing is listening there")
        #expect(error?.kind == .refused)
    }

    @Test func saysWhenTheHostIsUnknown() async throws {
        let error = await #expect(throws: ConnectionError.self) {
            try await WireClient.withConnection(host: "no-such-host.invalid", port: 1234) { _ in }
        }
        #expect(error == .unknownHost("no-such-host.invalid"))
        #expect(error?.kind == .unknownHost)
    }

    @Test func saysWhenTheAttemptTimesOut() {
        let error = WireClient.connectionErrorForTesting(ChannelError.connectTimeout(.seconds(2)), timeout: .seconds(2))
        #expect(error.description == "connection to 127.0.0.1:1234 timed out after 2.0 seconds")
        #expect(error.kind == .timedOut)
    }

    /// The README's way to switch on a failure.
    @Test func errorsCanBeSwitchedOn() async throws {
        do {
            try await WireClient.withConnection(host: "no-such-host.invalid", port: 1) { _ in }
            Issue.record("connected to an unknown host")
        } catch let error as ConnectionError {
            switch error.kind {
            case .refused, .timedOut: Issue.record("wrong kind: \(error)")
            case .unknownHost: break
            default: Issue.record("wrong kind: \(error)")
            }
        }
    }

    @Test func refusesToSendWhatTheFramingCannotCarry() async throws {
        let framing = Framing.header(width: 2)
        let received = try await withServer(ServerConfiguration(port: 0, framing: framing), handler: echoHandler) {
            port in
            try await WireClient.withConnection(
                host: "127.0.0.1",
                port: port,
                configuration: ClientConfiguration(framing: framing)
            ) { connection in
                let error = await #expect(throws: FramingError.self) {
                    try await connection.send(String(repeating: "x", count: 100))
                }
                #expect(error?.description == "message of 100 bytes does not fit a 2-byte length header")
                try await connection.send("still usable")
                try await connection.finish()
                var received: [String] = []
                for try await message in connection.messages { received.append(String(buffer: message)) }
                return received
            }
        }
        #expect(received == ["still usable"])
    }

    @Test func sendsABatchInOrder() async throws {
        let received = try await withServer(handler: echoHandler) { port in
            try await WireClient.withConnection(host: "127.0.0.1", port: port) { connection in
                try await connection.send(contentsOf: (0..<1000).map { ByteBuffer(string: "\($0)") })
                try await connection.finish()
                var received: [String] = []
                for try await message in connection.messages { received.append(String(buffer: message)) }
                return received
            }
        }
        #expect(received == (0..<1000).map { "\($0)" })
    }
}
