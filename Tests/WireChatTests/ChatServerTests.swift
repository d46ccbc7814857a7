import Foundation
import Logging
import NIOCore
import Synchronization
import Testing
import Wire
import WireFraming

@testable import WireChat

struct ChatServerDidNotStart: Error {}

/// Runs a chat server on 127.0.0.1 port 0 for the length of `body`.
func withChatServer<Result: Sendable>(
    _ configuration: ChatServerConfiguration = ChatServerConfiguration(server: ServerConfiguration(port: 0)),
    onEvent: @escaping @Sendable (ChatEvent) -> Void = { _ in },
    _ body: (Int, ChatServer) async throws -> Result
) async throws -> Result {
    let (addresses, continuation) = AsyncStream<Int>.makeStream()
    // WIRE_TEST_LOG=1 prints what the servers log, for a test that fails.
    var logger = Logger(label: "wire.test") { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = ProcessInfo.processInfo.environment["WIRE_TEST_LOG"] == "1" ? .debug : .critical
    let server = ChatServer(
        configuration: configuration,
        logger: logger,
        onListening: { address in
            continuation.yield(address.port ?? 0)
            continuation.finish()
        },
        onEvent: onEvent
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        var iterator = addresses.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ChatServerDidNotStart() }
        let result = try await body(port, server)
        group.cancelAll()
        return result
    }
}

func quietRoom(_ change: (inout ChatServerConfiguration) -> Void = { _ in }) -> ChatServerConfiguration {
    var configuration = ChatServerConfiguration(server: ServerConfiguration(port: 0), announcesMembership: false)
    change(&configuration)
    return configuration
}

/// Waits until the room has `count` members.
func waitForMembers(_ server: ChatServer, _ count: Int) async throws {
    while server.room.usernames.count != count {
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Reads `count` records that are not the room's notices, and returns each sender's numbers (the
/// first word of each text) in the order they arrived.
func collect(
    _ session: ChatSession,
    count: Int,
    afterEach: (Int) async throws -> Void = { _ in }
) async throws -> [String: [Int]] {
    var received: [String: [Int]] = [:]
    var seen = 0
    var records = session.records.makeAsyncIterator()
    while seen < count, let record = try await records.next() {
        guard record.username != ChatRoom.serverName else { continue }
        received[record.username, default: []].append(Int(record.text.prefix { $0 != " " }) ?? -1)
        seen += 1
        try await afterEach(seen)
    }
    return received
}

@Suite(.timeLimit(.minutes(2)))
struct ChatServerTests {
    @Test func relaysTextToEveryoneElseAsTwoFrames() async throws {
        try await withChatServer(quietRoom()) { port, server in
            try await ChatClient.join(port: port, username: "bob") { bob in
                try await ChatClient.join(port: port, username: "alice") { alice in
                    try await waitForMembers(server, 2)
                    try await alice.send("h\u{e9}llo")
                    try await alice.send("second")
                    var records = bob.records.makeAsyncIterator()
                    #expect(try await records.next() == ChatRecord(username: "alice", text: "h\u{e9}llo"))
                    #expect(try await records.next() == ChatRecord(username: "alice", text: "second"))
                    try await alice.leave()
                    var own = alice.records.makeAsyncIterator()
                    #expect(try await own.next() == nil, "nothing goes back to the sender")
                }
            }
        }
    }

    @Test func writesTheTutorialsBytesExactly() async throws {
        try await withChatServer(quietRoom()) { port, server in
            try await WireClient.withConnection(
                host: "127.0.0.1",
                port: port,
                configuration: ClientConfiguration(framing: .raw(.wholeStream))
            ) {
                raw in
                try await raw.send("3         bob")
                try await ChatClient.join(port: port, username: "alice") { alice in
                    try await waitForMembers(server, 2)
                    try await alice.send("h\u{e9}llo")
                    try await alice.leave()
                }
                try await waitForMembers(server, 1)
                try await raw.send("5         /quit")
                var received = ByteBuffer()
                for try await chunk in raw.messages { received.writeImmutableBuffer(chunk) }
                #expect(
                    Array(received.readableBytesView) == Array("5         alice6         h".utf8) + [0xc3, 0xa9]
                        + Array("llo".utf8)
                )
            }
        }
    }

    @Test(arguments: [
        ("", "username is empty"),
        (String(repeating: "x", count: 33), "username of 33 bytes is longer than the limit of 32 bytes"),
        ("[server]", "username \"[server]\" is reserved for the server"),
        ("tab\tname", "username must be UTF-8 text without control characters"),
    ])
    func refusesABadUsernameWithANotice(username: String, reason: String) async throws {
        try await withChatServer(quietRoom()) { port, _ in
            let records = try await ChatClient.join(port: port, username: username) { session in
                var all: [ChatRecord] = []
                for try await record in session.records { all.append(record) }
                return all
            }
            #expect(records == [ChatRecord(username: ChatRoom.serverName, text: "refused: \(reason)")])
        }
    }

    @Test func refusesATakenUsername() async throws {
        try await withChatServer(quietRoom()) { port, server in
            try await ChatClient.join(port: port, username: "alice") { _ in
                try await waitForMembers(server, 1)
                let records = try await ChatClient.join(port: port, username: "alice") { session in
                    var all: [ChatRecord] = []
                    for try await record in session.records { all.append(record) }
                    return all
                }
                #expect(
                    records == [ChatRecord(username: "[server]", text: "refused: username \"alice\" is already taken")]
                )
            }
        }
    }

    @Test func announcesJoinsAndLeavesAndAnswersWhoAndQuit() async throws {
        let configuration = ChatServerConfiguration(server: ServerConfiguration(port: 0))
        try await withChatServer(configuration) { port, server in
            try await ChatClient.join(port: port, username: "alice") { alice in
                try await waitForMembers(server, 1)
                var records = alice.records.makeAsyncIterator()
                try await ChatClient.join(port: port, username: "bob") { bob in
                    #expect(try await records.next() == ChatRecord(username: "[server]", text: "bob joined"))
                    try await bob.send("/who")
                    var bobs = bob.records.makeAsyncIterator()
                    #expect(try await bobs.next() == ChatRecord(username: "[server]", text: "online: alice, bob"))
                    try await bob.send("/quit")
                    #expect(try await bobs.next() == nil, "/quit closes the connection")
                }
                #expect(try await records.next() == ChatRecord(username: "[server]", text: "bob left"))
            }
        }
    }

    @Test func newcomersReceiveTheHistory() async throws {
        let received = Atomic<Int>(0)
        try await withChatServer(
            quietRoom {
                $0.historySize = 2
                $0.reportsTexts = true
            },
            onEvent: { event in
                if case .received = event { received.add(1, ordering: .relaxed) }
            }
        ) { port, server in
            try await ChatClient.join(port: port, username: "alice") { alice in
                try await waitForMembers(server, 1)
                for text in ["one", "two", "three"] { try await alice.send(text) }
                while received.load(ordering: .relaxed) < 3 {
                    try await Task.sleep(for: .milliseconds(5))
                }
                try await ChatClient.join(port: port, username: "carol") { carol in
                    try await waitForMembers(server, 2)
                    try await alice.send("four")
                    var records = carol.records.makeAsyncIterator()
                    #expect(try await records.next() == ChatRecord(username: "alice", text: "two"))
                    #expect(try await records.next() == ChatRecord(username: "alice", text: "three"))
                    #expect(try await records.next() == ChatRecord(username: "alice", text: "four"))
                }
            }
        }
    }

    @Test func historyIsMarkedAsHistoryInAnAnnouncingRoom() async throws {
        let received = Atomic<Int>(0)
        let configuration = ChatServerConfiguration(
            server: ServerConfiguration(port: 0),
            historySize: 5,
            reportsTexts: true
        )
        try await withChatServer(
            configuration,
            onEvent: { event in
                if case .received = event { received.add(1, ordering: .relaxed) }
            }
        ) { port, server in
            try await ChatClient.join(port: port, username: "alice") { alice in
                try await waitForMembers(server, 1)
                try await alice.send("one")
                while received.load(ordering: .relaxed) < 1 { try await Task.sleep(for: .milliseconds(5)) }
                try await ChatClient.join(port: port, username: "carol") { carol in
                    var records = carol.records.makeAsyncIterator()
                    var received: [ChatRecord] = []
                    for _ in 0..<3 {
                        if let record = try await records.next() { received.append(record) }
                    }
                    #expect(
                        received == [
                            ChatRecord(username: "[server]", text: "history: the last 1 text"),
                            ChatRecord(username: "alice", text: "one"),
                            ChatRecord(username: "[server]", text: "end of history"),
                        ]
                    )
                }
            }
        }
    }

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

/// Wire's own protocol on top of the tutorial's: a hello, positions, heartbeats, resuming.
@Suite(.timeLimit(.minutes(1)))
struct ChatResumeRoomTests {
    /// Reads records until one with `text`, and returns them.
    static func records(until text: String, from records: inout ChatRecords.AsyncIterator) async throws -> [ChatRecord]
    {
        var seen: [ChatRecord] = []
        while let record = try await records.next() {
            seen.append(record)
            if record.text == text { break }
        }
        return seen
    }

    @Test func aMemberThatComesBackGetsWhatItMissedAndHowMuchTheRoomNoLongerKeeps() async throws {
        let configuration = quietRoom { $0.resumeLogSize = 3 }
        try await withChatServer(configuration) { port, server in
            try await ChatClient.join(port: port, username: "witness") { witness in
                var seen = witness.records.makeAsyncIterator()
                try await ChatClient.join(port: port, username: "bob") { bob in
                    // alice, with a hello: her records carry positions; the tutorial's do not.
                    let last = try await ChatClient.join(port: port, username: "alice", hello: ChatHello(session: "a1"))
                    { alice in
                        var records = alice.records.makeAsyncIterator()
                        try await waitForMembers(server, 3)
                        try await bob.send("0")
                        let record = try #require(try await records.next())
                        #expect(record.username == "bob" && record.text == "0")
                        return try #require(record.position)
                    }
                    #expect(try await Self.records(until: "0", from: &seen).last?.position == nil)
                    for number in 1...5 { try await bob.send("\(number)") }
                    _ = try await Self.records(until: "5", from: &seen)
                    // Back after "0": 1 to 5 were said; the room keeps the last three.
                    try await ChatClient.join(
                        port: port,
                        username: "alice",
                        hello: ChatHello(session: "a1", resume: last)
                    ) { alice in
                        var records = alice.records.makeAsyncIterator()
                        let back = try await Self.records(until: "5", from: &records)
                        #expect(
                            back.map { "\($0.username) > \($0.text)" } == [
                                "[server] > missed while away: 3 texts, and 2 older ones are no longer kept", "bob > 3",
                                "bob > 4", "bob > 5",
                            ]
                        )
                        #expect(
                            back.dropFirst().compactMap(\.position).map(\.major)
                                == [4, 5, 6].map { last.major + $0 - 1 }
                        )
                        #expect(back.first?.position == nil)
                    }
                }
            }
        }
    }

    @Test func aMemberThatComesBackIsNotSentItsOwnTexts() async throws {
        try await withChatServer(quietRoom()) { port, server in
            try await ChatClient.join(port: port, username: "witness") { witness in
                var seen = witness.records.makeAsyncIterator()
                try await ChatClient.join(port: port, username: "bob") { bob in
                    let last = try await ChatClient.join(port: port, username: "alice", hello: ChatHello(session: "a1"))
                    { alice in
                        var records = alice.records.makeAsyncIterator()
                        try await waitForMembers(server, 3)
                        try await bob.send("0")
                        let record = try #require(try await records.next())
                        // Said after her last position: in the log, but hers.
                        try await alice.send("mine")
                        _ = try await Self.records(until: "mine", from: &seen)
                        return try #require(record.position)
                    }
                    try await bob.send("1")
                    _ = try await Self.records(until: "1", from: &seen)
                    try await ChatClient.join(
                        port: port,
                        username: "alice",
                        hello: ChatHello(session: "a1", resume: last)
                    ) { alice in
                        var records = alice.records.makeAsyncIterator()
                        let back = try await Self.records(until: "1", from: &records)
                        #expect(
                            back.map { "\($0.username) > \($0.text)" } == [
                                "[server] > missed while away: 1 text", "bob > 1",
                            ]
                        )
                    }
                }
            }
        }
    }

    /// The position the room gives its next text.
    static func nextPosition(_ room: ChatRoom) -> UInt64 {
        room.state.withLock { $0.machine.nextPosition }
    }

    @Test func aMemberThatHeardNothingBeforeItsConnectionDroppedResumesFromWhereItJoined() async throws {
        try await withChatServer(quietRoom()) { port, server in
            try await ChatClient.join(port: port, username: "alice") { alice in
                try await alice.send("before bob")
                while server.room.usernames != ["alice"] { try await Task.sleep(for: .milliseconds(5)) }
                // bob joins, hears nothing (only the room's position), and loses his connection.
                let (last, reader) = try await ChatClient.join(
                    port: port,
                    username: "bob",
                    hello: ChatHello(session: "b")
                ) { bob in
                    let reader = Task { for try await _ in bob.records {} }
                    while bob.lastPosition == nil { try await Task.sleep(for: .milliseconds(5)) }
                    return (try #require(bob.lastPosition), reader)
                }
                _ = await reader.result
                while server.room.usernames != ["alice"] { try await Task.sleep(for: .milliseconds(5)) }
                let said = Self.nextPosition(server.room)
                try await alice.send("while bob was away")
                // Bob comes back once the room has the text: one still on its way (the client's send
                // returns when it is written) would reach him live, after "missed while away: 0 texts".
                while Self.nextPosition(server.room) == said {
                    try await Task.sleep(for: .milliseconds(5))
                }
                try await ChatClient.join(port: port, username: "bob", hello: ChatHello(session: "b", resume: last)) {
                    bob in
                    var records = bob.records.makeAsyncIterator()
                    let back = try await Self.records(until: "while bob was away", from: &records)
                    #expect(
                        back.map { "\($0.username) > \($0.text)" } == [
                            "[server] > missed while away: 1 text", "alice > while bob was away",
                        ]
                    )
                }
            }
        }
    }

    @Test func aSessionThatComesBackReplacesItsSilentConnection() async throws {
        try await withChatServer(quietRoom()) { port, server in
            try await ChatClient.join(port: port, username: "alice", hello: ChatHello(session: "same")) { old in
                while server.room.usernames != ["alice"] { try await Task.sleep(for: .milliseconds(5)) }
                var oldRecords = old.records.makeAsyncIterator()
                // The same session on a new connection, while the old one looks alive: it takes
                // the old one's place instead of being refused for a taken name.
                try await ChatClient.join(port: port, username: "alice", hello: ChatHello(session: "same")) { again in
                    var records = again.records.makeAsyncIterator()
                    // The server closed the old connection, then let the new one in.
                    while try await oldRecords.next() != nil {}
                    while server.room.usernames != ["alice"] { try await Task.sleep(for: .milliseconds(5)) }
                    try await ChatClient.join(port: port, username: "bob") { bob in
                        try await bob.send("hi")
                        #expect(try await records.next()?.text == "hi")
                    }
                    // bob has gone; one alice is here, the new one.
                    while server.room.usernames.contains("bob") { try await Task.sleep(for: .milliseconds(5)) }
                    #expect(server.room.usernames == ["alice"])
                }
                // Another session with that name is refused, as the tutorial's clients are.
                try await ChatClient.join(port: port, username: "carol", hello: ChatHello(session: "c")) { carol in
                    while !server.room.usernames.contains("carol") { try await Task.sleep(for: .milliseconds(5)) }
                    try await ChatClient.join(port: port, username: "carol", hello: ChatHello(session: "other")) {
                        impostor in
                        var records = impostor.records.makeAsyncIterator()
                        let answer = try await records.next()?.text
                        #expect(answer == "refused: username \"carol\" is already taken")
                    }
                    _ = carol
                }
            }
        }
    }
}
