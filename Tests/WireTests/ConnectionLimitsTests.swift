import NIOCore
import Synchronization
import Testing
import Wire
import WireFraming

/// Idle and first-message timeouts and the connection limit: a peer cannot hold a slot forever.
@Suite(.timeLimit(.minutes(1)))
struct ConnectionLimitsTests {
    /// Runs `handler` on the server and reports how its connection's messages ended.
    static func ending(of connection: WireConnection) async -> String {
        do {
            for try await _ in connection.messages {}
            return "end"
        } catch {
            return "\(error)"
        }
    }

    @Test func closesAConnectionThatSendsNothing() async throws {
        let (endings, continuation) = AsyncStream<String>.makeStream()
        let configuration = ServerConfiguration(port: 0, idleTimeout: .milliseconds(300))
        try await withServer(
            configuration,
            handler: { connection in
                continuation.yield(await Self.ending(of: connection))
            }
        ) { port in
            let received = try await WireClient.withConnection(host: "127.0.0.1", port: port) { connection in
                var count = 0
                for try await _ in connection.messages { count += 1 }
                return count
            }
            #expect(received == 0, "the server closed the silent connection")
            var iterator = endings.makeAsyncIterator()
            let ending = await iterator.next() ?? ""
            #expect(ending.hasPrefix("no message to or from 127.0.0.1:"), "\(ending)")
            #expect(ending.hasSuffix("for 0.3 seconds: connection closed"), "\(ending)")
        }
    }

    @Test func keepsAConnectionThatKeepsTalking() async throws {
        // Generous on purpose: only a stall of more than 5 s on a busy CI machine could close it.
        let configuration = ServerConfiguration(port: 0, idleTimeout: .seconds(5))
        let received = try await withServer(configuration, handler: echoHandler) { port in
            try await WireClient.withConnection(host: "127.0.0.1", port: port) { connection in
                var messages = connection.messages.makeAsyncIterator()
                var echoed = 0
                // 7 seconds of traffic, a message every 100 ms: well past the idle timeout in all.
                for index in 0..<70 {
                    try await connection.send("\(index)")
                    if try await messages.next() != nil { echoed += 1 }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return echoed
            }
        }
        #expect(received == 70)
    }

    @Test func closesAPeerThatDripsAHeaderByteByByte() async throws {
        let (endings, continuation) = AsyncStream<String>.makeStream()
        let configuration = ServerConfiguration(port: 0, idleTimeout: nil, firstMessageTimeout: .milliseconds(500))
        try await withServer(
            configuration,
            handler: { connection in
                continuation.yield(await Self.ending(of: connection))
            }
        ) { port in
            try await WireClient.withConnection(
                host: "127.0.0.1",
                port: port,
                configuration: ClientConfiguration(framing: .raw())
            ) { connection in
                do {
                    for byte in "5         hello".utf8 {
                        try await connection.send(ByteBuffer(bytes: [byte]))
                        try await Task.sleep(for: .milliseconds(100))
                    }
                } catch {
                    // The server closed the connection under us, as it should.
                }
            }
            var iterator = endings.makeAsyncIterator()
            let ending = await iterator.next() ?? ""
            #expect(
                ending.hasSuffix("sent no complete message within 0.5 seconds of connecting: connection closed"),
                "\(ending)"
            )
        }
    }

    @Test func refusesAConnectionOverTheLimitWithANotice() async throws {
        for framing in [Framing.header(), .length(), .lines] {
            let configuration = ServerConfiguration(port: 0, framing: framing, maximumConnections: 2)
            try await withServer(configuration, handler: echoHandler) { port in
                let client = ClientConfiguration(framing: framing)
                try await WireClient.withConnection(host: "127.0.0.1", port: port, configuration: client) { first in
                    try await first.send("one")
                    var firstMessages = first.messages.makeAsyncIterator()
                    _ = try await firstMessages.next()
                    try await WireClient.withConnection(host: "127.0.0.1", port: port, configuration: client) {
                        second in
                        try await second.send("two")
                        var secondMessages = second.messages.makeAsyncIterator()
                        _ = try await secondMessages.next()
                        let notice = try await WireClient.withConnection(
                            host: "127.0.0.1",
                            port: port,
                            configuration: client
                        ) {
                            third in
                            var all: [String] = []
                            for try await message in third.messages { all.append(String(buffer: message)) }
                            return all
                        }
                        #expect(notice == ["server is full: 2 connections are open; try again later"], "\(framing)")
                    }
                    // A slot is free again once a connection has gone.
                    var answered = false
                    for _ in 0..<100 where !answered {
                        answered = try await WireClient.withConnection(
                            host: "127.0.0.1",
                            port: port,
                            configuration: client
                        ) {
                            again in
                            try await again.send("three")
                            var messages = again.messages.makeAsyncIterator()
                            return try await messages.next().map { String(buffer: $0) } == "three"
                        }
                        if !answered { try await Task.sleep(for: .milliseconds(20)) }
                    }
                    #expect(answered, "\(framing)")
                }
            }
        }
    }
}

/// Heartbeats: empty messages that keep a quiet connection alive and never reach the reader.
@Suite(.timeLimit(.minutes(1)))
struct HeartbeatTests {
    @Test func aQuietServerSendsEmptyMessagesInItsFraming() async throws {
        let configuration = ServerConfiguration(port: 0, framing: .header(), heartbeatInterval: .milliseconds(100))
        try await withServer(
            configuration,
            handler: { connection in
                for try await _ in connection.messages {}
            }
        ) { port in
            try await WireClient.withConnection(
                host: "127.0.0.1",
                port: port,
                configuration: ClientConfiguration(framing: .raw())
            ) { connection in
                var bytes = ByteBuffer()
                for try await chunk in connection.messages {
                    bytes.writeImmutableBuffer(chunk)
                    if bytes.readableBytes >= 30 { break }
                }
                #expect(String(buffer: bytes).hasPrefix("0         0         0         "))
            }
        }
    }

    @Test func heartbeatsKeepAQuietConnectionOpenAndNeverReachTheReader() async throws {
        let (received, continuation) = AsyncStream<[String]>.makeStream()
        let server = ServerConfiguration(
            port: 0,
            framing: .length(),
            idleTimeout: .seconds(5),
            heartbeatInterval: .milliseconds(100)
        )
        try await withServer(
            server,
            handler: { connection in
                var all: [String] = []
                do {
                    for try await message in connection.messages { all.append(String(buffer: message)) }
                } catch {
                    all.append("error: \(error)")
                }
                continuation.yield(all)
            }
        ) { port in
            // Idle timeouts 50 times the heartbeat interval: a loaded machine may delay a few beats.
            let client = ClientConfiguration(
                framing: .length(),
                idleTimeout: .seconds(5),
                heartbeatInterval: .milliseconds(100)
            )
            try await WireClient.withConnection(host: "127.0.0.1", port: port, configuration: client) { connection in
                // Quiet for longer than either idle timeout: only the heartbeats keep it open.
                try await Task.sleep(for: .seconds(6))
                try await connection.send("still here")
                try await connection.finish()
                var messages = connection.messages.makeAsyncIterator()
                #expect(try await messages.next() == nil, "no heartbeat reaches the reader")
            }
            var iterator = received.makeAsyncIterator()
            #expect(await iterator.next() == ["still here"])
        }
    }
}
