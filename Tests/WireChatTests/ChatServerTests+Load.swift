import Foundation
import Logging
import NIOCore
import Synchronization
import Testing
import Wire
import WireFraming

@testable import WireChat

/// The room under load: fan-out in every sender's order, a reader that stops, a slow reader that
/// keeps reading, a malformed frame and a client that never says its name.
extension ChatServerTests {
    @Test func fansOutEveryMessageToFiftyClientsInEachSendersOrder() async throws {
        let clients = 50
        let perClient = 20
        try await withChatServer(quietRoom()) { port, server in
            try await withThrowingTaskGroup(of: [String: [Int]].self) { group in
                for index in 0..<clients {
                    group.addTask {
                        try await ChatClient.join(port: port, username: "user\(index)") { session in
                            try await waitForMembers(server, clients)
                            for number in 0..<perClient {
                                try await session.send("\(number)")
                            }
                            var received: [String: [Int]] = [:]
                            var records = session.records.makeAsyncIterator()
                            for _ in 0..<((clients - 1) * perClient) {
                                guard let record = try await records.next() else { break }
                                received[record.username, default: []].append(Int(record.text) ?? -1)
                            }
                            return received
                        }
                    }
                }
                var results = 0
                for try await received in group {
                    results += 1
                    #expect(received.count == clients - 1)
                    for (sender, numbers) in received {
                        #expect(numbers == Array(0..<perClient), "\(sender)'s messages arrived as \(numbers)")
                    }
                }
                #expect(results == clients)
            }
        }
    }

    /// Every client sends its texts as fast as it can while reading all the time; with the
    /// default limits, everyone gets every other client's texts, each sender's in order.
    @Test(arguments: [(clients: 10, texts: 2000, size: 64), (clients: 5, texts: 100, size: 16_000)])
    func everyoneGetsEverythingFromSendersAtFullSpeed(clients: Int, texts: Int, size: Int) async throws {
        let dropped = Mutex<[String]>([])
        try await withChatServer(
            quietRoom(),
            onEvent: { event in
                if case .dropped(let username, _) = event { dropped.withLock { $0.append(username) } }
            }
        ) { port, server in
            try await withThrowingTaskGroup(of: [String: [Int]].self) { group in
                for index in 0..<clients {
                    group.addTask {
                        try await ChatClient.join(port: port, username: "user\(index)") { session in
                            try await waitForMembers(server, clients)
                            return try await withThrowingTaskGroup(of: [String: [Int]].self) { client in
                                client.addTask {
                                    let padding = String(repeating: "x", count: size)
                                    for number in 0..<texts {
                                        try await session.send("\(number) \(padding)")
                                    }
                                    return [:]
                                }
                                client.addTask {
                                    try await collect(session, count: (clients - 1) * texts)
                                }
                                var received: [String: [Int]] = [:]
                                for try await result in client { received.merge(result) { $0 + $1 } }
                                return received
                            }
                        }
                    }
                }
                for try await received in group {
                    #expect(received.count == clients - 1)
                    for (sender, numbers) in received where numbers != Array(0..<texts) {
                        Issue.record("\(sender)'s \(numbers.count) texts arrived out of order or incomplete")
                    }
                }
            }
        }
        #expect(dropped.withLock { $0 }.isEmpty, "nobody is dropped for reading")
    }

    @Test func evictsAClientThatStopsReadingWhileTheOthersGetEverything() async throws {
        let (evictions, evicted) = AsyncStream<ChatError>.makeStream()
        // 5 s (the default): readers that keep reading are never that long without progress,
        // even on a loaded machine, while the stalled client reads nothing at all.
        let configuration = quietRoom { $0.stallTimeout = .seconds(5) }
        let total = 30_000  // 30 MB: far more than the stalled client's socket buffers hold
        try await withChatServer(
            configuration,
            onEvent: { event in
                if case .dropped(_, let reason) = event { evicted.yield(reason) }
            }
        ) { port, server in
            // A client with a 4 KB receive buffer that joins and then reads nothing.
            let stalled = try await RawSocket.connect(port: port)
            await stalled.send(Array("7         stalled".utf8))
            try await waitForMembers(server, 1)
            try await withThrowingTaskGroup(of: [String: [Int]].self) { group in
                for index in 0..<3 {
                    group.addTask {
                        try await ChatClient.join(port: port, username: "reader\(index)") { session in
                            try await collect(session, count: total)
                        }
                    }
                }
                try await waitForMembers(server, 4)
                try await ChatClient.join(port: port, username: "sender") { sender in
                    try await waitForMembers(server, 5)
                    // Once evicted, the stalled client wakes up and reads all it can: the records that
                    // waited, then the notice, then the end.
                    async let wokenUp: (ChatError?, [UInt8]) = {
                        var reasons = evictions.makeAsyncIterator()
                        let reason = await reasons.next()
                        return (reason, await stalled.readToEnd())
                    }()
                    let text = String(repeating: "z", count: 1000)
                    for number in 0..<total {
                        try await sender.send("\(number) \(text)")  // as fast as the room takes them
                    }
                    for try await received in group {
                        #expect(received["sender"] == Array(0..<total))
                    }
                    let (reason, stream) = await wokenUp
                    let why = try #require(reason)
                    #expect("\(why)".hasPrefix("stalled read nothing for 5.0 seconds while "))
                    let notice = ChatRecord(username: ChatRoom.serverName, text: "evicted: \(why)")
                    var expectedEnd: [UInt8] = []
                    for frame in [notice.username, notice.text] {
                        let length = String(frame.utf8.count)
                        expectedEnd += Array((length + String(repeating: " ", count: 10 - length.count) + frame).utf8)
                    }
                    #expect(stream.count < 20_000_000, "it was stalled: \(stream.count) bytes reached it")
                    #expect(stream.suffix(expectedEnd.count).elementsEqual(expectedEnd), "the notice ends its stream")
                }
            }
        }
        evicted.finish()
        var count = 0
        for await _ in evictions { count += 1 }
        #expect(count == 0, "exactly one eviction: the stalled client's, already taken")
    }

    @Test func neverEvictsASlowReaderThatKeepsReading() async throws {
        let evictions = Mutex<[String]>([])
        // Generous: a reader that keeps reading is never 10 s without progress, even on a loaded
        // machine, and the test takes no longer for it.
        let configuration = quietRoom { $0.stallTimeout = .seconds(10) }
        let total = 8000  // 8 MB: the sender must wait for the slow reader more than once
        try await withChatServer(
            configuration,
            onEvent: { event in
                if case .dropped(let username, _) = event { evictions.withLock { $0.append(username) } }
            }
        ) { port, server in
            try await withThrowingTaskGroup(of: [String: [Int]].self) { group in
                group.addTask {
                    try await ChatClient.join(port: port, username: "slow") { session in
                        try await collect(session, count: total) { received in
                            if received % 50 == 0 { try await Task.sleep(for: .milliseconds(20)) }
                        }
                    }
                }
                group.addTask {
                    try await ChatClient.join(port: port, username: "fast") { session in
                        try await collect(session, count: total)
                    }
                }
                try await waitForMembers(server, 2)
                try await ChatClient.join(port: port, username: "sender") { sender in
                    try await waitForMembers(server, 3)
                    let text = String(repeating: "s", count: 1000)
                    for number in 0..<total {
                        try await sender.send("\(number) \(text)")
                    }
                    for try await received in group {
                        #expect(received["sender"] == Array(0..<total))
                    }
                }
            }
        }
        #expect(evictions.withLock { $0 }.isEmpty)
    }

    @Test func aMalformedFrameClosesOnlyThatClient() async throws {
        let failures = Mutex<[String]>([])
        try await withChatServer(
            quietRoom(),
            onEvent: { event in
                if case .failed(_, let username, let error) = event {
                    failures.withLock { $0.append("\(username ?? "?"): \(error)") }
                }
            }
        ) { port, server in
            try await ChatClient.join(port: port, username: "alice") { alice in
                try await ChatClient.join(port: port, username: "bob") { bob in
                    try await waitForMembers(server, 2)
                    try await WireClient.withConnection(
                        host: "127.0.0.1",
                        port: port,
                        configuration: ClientConfiguration(framing: .raw())
                    ) { bad in
                        try await bad.send("4         evil")
                        try await waitForMembers(server, 3)
                        try await bad.send("12a       hello")
                        try await waitForMembers(server, 2)
                    }
                    try await alice.send("still here")
                    var records = bob.records.makeAsyncIterator()
                    #expect(try await records.next() == ChatRecord(username: "alice", text: "still here"))
                }
            }
        }
        #expect(failures.withLock { $0 } == [#"evil: invalid header "12a       ": expected a decimal length"#])
    }

    @Test func closesAClientThatNeverSaysItsName() async throws {
        let failures = Mutex<[String]>([])
        let configuration = quietRoom { $0.server.firstMessageTimeout = .milliseconds(300) }
        try await withChatServer(
            configuration,
            onEvent: { event in
                if case .failed(_, _, let error) = event { failures.withLock { $0.append("\(error)") } }
            }
        ) { port, _ in
            let received = try await WireClient.withConnection(host: "127.0.0.1", port: port) { silent in
                var count = 0
                for try await _ in silent.messages { count += 1 }
                return count
            }
            #expect(received == 0)
        }
        let failure = failures.withLock { $0.first } ?? ""
        #expect(
            failure.hasSuffix("sent no complete message within 0.3 seconds of connecting: connection closed"),
            "\(failure)"
        )
    }
}
