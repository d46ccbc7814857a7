import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing
import Wire
import WireFraming

@Suite(.timeLimit(.minutes(2)))
struct WireServerTests {
    static let framings: [Framing] = [
        .header(), .header(width: 5), .length(), .length(bytes: 2, endianness: .little), .lines,
    ]

    @Test(arguments: Self.framings)
    func echoesEveryMessageInOrderThenClosesAfterHalfClose(framing: Framing) async throws {
        let messages = ["Hey there!!!", "", "h\u{e9}llo"] + (0..<500).map { "message \($0)" }
        let configuration = ServerConfiguration(port: 0, framing: framing)
        let received = try await withServer(configuration, handler: echoHandler) { port in
            try await exchange(port: port, framing: framing, messages)
        }
        #expect(received == messages)
    }

    @Test func greetsAndClosesLikeTheTutorialServer() async throws {
        let received = try await withServer(
            ServerConfiguration(port: 0, framing: .raw()),
            handler: { connection in try await connection.send("Hey there!!!") }
        ) { port in
            try await WireClient.withConnection(
                host: "127.0.0.1",
                port: port,
                configuration: ClientConfiguration(framing: .raw(.chunks), readBufferSize: 8)
            ) { connection in
                var chunks: [String] = []
                for try await chunk in connection.messages {
                    chunks.append(String(buffer: chunk))
                }
                return chunks
            }
        }
        #expect(received == ["Hey ther", "e!!!"])
    }

    @Test func servesManyConnectionsConcurrently() async throws {
        try await withServer(handler: echoHandler) { port in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<20 {
                    group.addTask {
                        let messages = (0..<100).map { "client \(client) message \($0)" }
                        let received = try await exchange(port: port, messages)
                        #expect(received == messages)
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func aBadHeaderClosesOnlyThatConnection() async throws {
        let errors = Mutex<[String]>([])
        let handler: WireServer.Handler = { connection in
            do {
                for try await message in connection.messages {
                    try await connection.send(message)
                }
            } catch is CancellationError {
                // The good connection, torn down when the test ends.
            } catch {
                errors.withLock { $0.append("\(error)") }
                throw error
            }
        }
        try await withServer(handler: handler) { port in
            try await WireClient.withConnection(host: "127.0.0.1", port: port) { good in
                try await good.send("before")
                var goodMessages = good.messages.makeAsyncIterator()
                #expect(try await goodMessages.next().map { String(buffer: $0) } == "before")

                let badEnd = await #expect(
                    throws: ConnectionError.self,
                    "the server aborts the bad connection with a reset"
                ) {
                    try await WireClient.withConnection(
                        host: "127.0.0.1",
                        port: port,
                        configuration: ClientConfiguration(framing: .raw(.wholeStream))
                    ) { bad in
                        try await bad.send("12a       hello")
                        for try await _ in bad.messages {}
                    }
                }
                #expect(badEnd?.kind == .reset)

                try await good.send("after")
                #expect(try await goodMessages.next().map { String(buffer: $0) } == "after")
            }
        }
        #expect(errors.withLock { $0 } == [#"invalid header "12a       ": expected a decimal length"#])
    }

    @Test func reportsAPartialMessageAtEOF() async throws {
        let (errors, continuation) = AsyncStream<(any Error)?>.makeStream()
        try await withServer(handler: { connection in
            do {
                for try await _ in connection.messages {}
                continuation.yield(nil)
            } catch {
                continuation.yield(error)
            }
        }) { port in
            try await WireClient.withConnection(
                host: "127.0.0.1",
                port: port,
                configuration: ClientConfiguration(framing: .raw())
            ) { connection in
                try await connection.send("5         abc")
                try await connection.finish()
            }
            var iterator = errors.makeAsyncIterator()
            let error = await iterator.next() ?? nil
            #expect(error as? FramingError == .truncatedMessage(buffered: 13))
        }
    }

    @Test func rejectsAMessageOverTheLimitBeforeItsBody() async throws {
        let (errors, continuation) = AsyncStream<String>.makeStream()
        try await withServer(
            ServerConfiguration(port: 0, framing: .length(), maximumMessageSize: 1000),
            handler: { connection in
                do {
                    for try await _ in connection.messages {}
                } catch {
                    continuation.yield("\(error)")
                }
            }
        ) { port in
            try await WireClient.withConnection(
                host: "127.0.0.1",
                port: port,
                configuration: ClientConfiguration(framing: .raw())
            ) { connection in
                // Only the 4-byte prefix is sent: the server must not wait for the 2 GB body.
                try await connection.send(ByteBuffer(bytes: [0x7f, 0xff, 0xff, 0xff]))
                var iterator = errors.makeAsyncIterator()
                #expect(await iterator.next() == "declared length 2147483647 exceeds the limit of 1000 bytes")
            }
        }
    }

    @Test func servesIPv6Loopback() async throws {
        let received = try await withServer(ServerConfiguration(host: "::1", port: 0), handler: echoHandler) { port in
            try await exchange(port: port, host: "::1", ["over IPv6"])
        }
        #expect(received == ["over IPv6"])
    }

    @Test func aSenderBlocksWhileThePeerDoesNotRead() async throws {
        let sent = Atomic<Int>(0)
        let total = 1000
        let payload = ByteBuffer(repeating: 0x61, count: 1 << 20)
        let handler: WireServer.Handler = { connection in
            for _ in 0..<total {
                try await connection.send(payload)
                sent.add(1, ordering: .relaxed)
            }
        }
        try await withServer(ServerConfiguration(port: 0, framing: .length()), handler: handler) { port in
            try await WireClient.withConnection(
                host: "127.0.0.1",
                port: port,
                configuration: ClientConfiguration(framing: .length())
            ) { connection in
                // Not reading: the server can only get as far as the socket buffers allow.
                while sent.load(ordering: .relaxed) == 0 {
                    try await Task.sleep(for: .milliseconds(10))
                }
                try await Task.sleep(for: .milliseconds(500))
                let sentWhileStalled = sent.load(ordering: .relaxed)
                #expect(sentWhileStalled < 100, "\(sentWhileStalled) MiB queued for a peer that reads nothing")

                var received = 0
                for try await message in connection.messages {
                    #expect(message.readableBytes == 1 << 20)
                    received += 1
                }
                #expect(received == total)
            }
        }
    }

    @Test func anEchoServerStopsReadingFromAPeerThatDoesNotReadItsReplies() async throws {
        final class Counter: Sendable {
            let value = Atomic<Int>(0)
        }
        let sent = Counter()
        let total = 1000
        let payload = ByteBuffer(repeating: 0x62, count: 1 << 20)
        let configuration = ServerConfiguration(port: 0, framing: .length())
        try await withServer(configuration, handler: echoHandler) { port in
            try await WireClient.withConnection(
                host: "127.0.0.1",
                port: port,
                configuration: ClientConfiguration(framing: .length())
            ) { connection in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for _ in 0..<total {
                            try await connection.send(payload)
                            sent.value.add(1, ordering: .relaxed)
                        }
                    }
                    // Replies are not read: the server's sends stall, so it stops reading, so ours stall.
                    while sent.value.load(ordering: .relaxed) == 0 {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    try await Task.sleep(for: .milliseconds(500))
                    let sentWhileStalled = sent.value.load(ordering: .relaxed)
                    #expect(
                        sentWhileStalled < 200,
                        "\(sentWhileStalled) MiB taken by a server whose replies cannot drain"
                    )

                    var received = 0
                    for try await message in connection.messages {
                        #expect(message.readableBytes == 1 << 20)
                        received += 1
                        if received == total { break }
                    }
                    try await group.waitForAll()
                    #expect(received == total)
                }
            }
        }
    }

    @Test func gracefulShutdownStopsAcceptingAndLetsOpenConnectionsFinish() async throws {
        let (addresses, addressContinuation) = AsyncStream<SocketAddress>.makeStream()
        let server = WireServer(
            configuration: ServerConfiguration(port: 0, shutdownGracePeriod: .seconds(30)),
            onListening: { addressContinuation.yield($0) },
            handler: echoHandler
        )
        let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = addresses.makeAsyncIterator()
            let port = try #require(await iterator.next()?.port)
            try await WireClient.withConnection(host: "127.0.0.1", port: port) { connection in
                var messages = connection.messages.makeAsyncIterator()
                try await connection.send("before shutdown")
                #expect(try await messages.next().map { String(buffer: $0) } == "before shutdown")

                await group.triggerGracefulShutdown()
                // The listener closes: new connections are refused...
                var refused = false
                for _ in 0..<100 where !refused {
                    do {
                        try await WireClient.withConnection(host: "127.0.0.1", port: port) { _ in }
                        try await Task.sleep(for: .milliseconds(20))
                    } catch let error as ConnectionError {
                        refused = error == .refused(host: "127.0.0.1", port: port)
                    }
                }
                #expect(refused)
                // ...while the open connection goes on until it is done.
                try await connection.send("during shutdown")
                #expect(try await messages.next().map { String(buffer: $0) } == "during shutdown")
                try await connection.finish()
                #expect(try await messages.next() == nil)
            }
            try await tasks.waitForAll()
        }
    }
}
