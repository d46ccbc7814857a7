import NIOCore
import Synchronization
import Testing
import Wire
import WireChat
import WireFraming
import WireNATS
import WireTestSupport

/// Chat servers that share one room through a real nats-server.
@Suite(.timeLimit(.minutes(2)), .enabled(if: NATSServerProcess.shouldRun))
struct ChatNodesTests {
    /// What the nodes report: whole or split, per node.
    final class Links: Sendable {
        let events = Mutex<[Int: [String]]>([:])

        func record(_ node: Int, _ event: ChatEvent) {
            switch event {
            case .roomWhole: self.events.withLock { $0[node, default: []].append("whole") }
            case .roomSplit: self.events.withLock { $0[node, default: []].append("split") }
            case .dropped(let username, _): self.events.withLock { $0[node, default: []].append("dropped \(username)") }
            case .roomStream(let description):
                let copies = description.contains("3 copies") ? " 3 copies" : ""
                self.events.withLock { $0[node, default: []].append("stream") }
                if !copies.isEmpty { self.events.withLock { $0[node, default: []].append("stream" + copies) } }
            case .jetStreamUnavailable: self.events.withLock { $0[node, default: []].append("core") }
            default: break
            }
        }

        func count(_ word: String, on node: Int) -> Int {
            self.events.withLock { $0[node, default: []].filter { $0 == word }.count }
        }

        /// Waits until node `node` has said `word` at least `times` times.
        func wait(for word: String, on node: Int, times: Int = 1) async throws {
            while self.count(word, on: node) < times {
                try await Task.sleep(for: .milliseconds(10))
            }
        }

        /// Waits until every node has said `word` at least `times` times.
        func wait(for word: String, times: Int = 1, nodes: Int) async throws {
            while (0..<nodes).contains(where: { self.count(word, on: $0) < times }) {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    static func configuration(_ nats: NATSServerProcess, announces: Bool = true) throws -> ChatServerConfiguration {
        var configuration = ChatServerConfiguration(
            server: ServerConfiguration(port: 0),
            announcesMembership: announces
        )
        configuration.nats = try ChatNATSConfiguration(
            servers: [NATSServerAddress(parsing: nats.url)],
            room: "test"
        )
        return configuration
    }

    /// Runs two nodes of one room, and `body` once both are linked.
    static func withTwoNodes<Result: Sendable>(
        _ nats: NATSServerProcess,
        announces: Bool = true,
        links: Links = Links(),
        configure: (inout ChatServerConfiguration) -> Void = { _ in },
        _ body: (_ ports: [Int], _ servers: [ChatServer]) async throws -> Result
    ) async throws -> Result {
        var configuration = try Self.configuration(nats, announces: announces)
        configure(&configuration)
        return try await withChatServer(configuration, onEvent: { links.record(0, $0) }) { first, firstServer in
            try await withChatServer(configuration, onEvent: { links.record(1, $0) }) { second, secondServer in
                try await links.wait(for: "whole", nodes: 2)
                return try await body([first, second], [firstServer, secondServer])
            }
        }
    }

    /// Each node subscribes again as it reconnects, and what is sent before that is lost: sends
    /// probes from `sender` until something but a room notice reaches `records`, and returns it.
    static func probe(
        from sender: ChatSession,
        until records: inout ChatRecords.AsyncIterator
    ) async throws -> ChatRecord? {
        let probing = Task {
            var round = 0
            while !Task.isCancelled {
                try await sender.send("probe \(round)")
                round += 1
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        defer { probing.cancel() }
        var record = try await records.next()
        while record?.username == ChatRoom.serverName {
            record = try await records.next()
        }
        return record
    }

    /// Waits until every server's room lists `count` members, over all nodes.
    static func waitForEveryone(_ servers: [ChatServer], _ count: Int) async throws {
        while servers.contains(where: { $0.room.allUsernames.count != count }) {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func twoNodesFormOneRoom() async throws {
        let nats = try await NATSServerProcess()
        defer { nats.stop() }
        try await Self.withTwoNodes(nats) { ports, servers in
            try await ChatClient.join(port: ports[0], username: "alice") { alice in
                try await Self.waitForEveryone(servers, 1)
                try await ChatClient.join(port: ports[1], username: "bob") { bob in
                    var atAlice = alice.records.makeAsyncIterator()
                    var atBob = bob.records.makeAsyncIterator()
                    #expect(try await atAlice.next() == ChatRecord(username: "[server]", text: "bob joined"))
                    try await alice.send("hello from node 1")
                    #expect(try await atBob.next() == ChatRecord(username: "alice", text: "hello from node 1"))
                    try await bob.send("hi from node 2")
                    #expect(try await atAlice.next() == ChatRecord(username: "bob", text: "hi from node 2"))
                    try await bob.send("/who")
                    #expect(try await atBob.next() == ChatRecord(username: "[server]", text: "online: bob, alice"))

                    // A name taken on the other node is refused.
                    try await ChatClient.join(port: ports[1], username: "alice") {
                        (impostor: ChatSession) async throws -> Void in
                        var records = impostor.records.makeAsyncIterator()
                        #expect(
                            try await records.next()
                                == ChatRecord(
                                    username: "[server]",
                                    text: "refused: username \"alice\" is already taken"
                                )
                        )
                        #expect(try await records.next() == nil)
                    }
                    try await alice.leave()
                    #expect(try await atBob.next() == ChatRecord(username: "[server]", text: "alice left"))
                }
            }
        }
    }

    @Test func tenClientsOverTwoNodesGetEverythingInOrder() async throws {
        let nats = try await NATSServerProcess()
        defer { nats.stop() }
        let clients = 10
        let texts = 5000
        try await Self.withTwoNodes(nats, announces: false) { ports, servers in
            try await withThrowingTaskGroup(of: [String: [Int]].self) { group in
                for index in 0..<clients {
                    group.addTask {
                        try await ChatClient.join(port: ports[index % 2], username: "user\(index)") { session in
                            try await Self.waitForEveryone(servers, clients)
                            return try await withThrowingTaskGroup(of: [String: [Int]].self) { client in
                                client.addTask {
                                    for number in 0..<texts {
                                        try await session.send("\(number) from user\(index)")
                                    }
                                    return [:]
                                }
                                client.addTask { try await collect(session, count: (clients - 1) * texts) }
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
    }

    @Test func aSlowReaderOnOneNodeHoldsBackTheSendersOfTheOther() async throws {
        let nats = try await NATSServerProcess()
        defer { nats.stop() }
        let links = Links()
        // 8 MiB may wait for a member: 40 MB from a sender at full speed would pass that many times
        // over if the other node did not make the sender wait.
        let total = 40_000
        try await Self.withTwoNodes(
            nats,
            announces: false,
            links: links,
            configure: { $0.maximumQueuedBytes = 8 << 20 }
        ) { ports, servers in
            // A reader with a 4 KB receive buffer, so that the kernel cannot hold the backlog for it.
            let slow = try await RawSocket.connect(port: ports[1])
            await slow.send(Array("4         slow".utf8))
            try await Self.waitForEveryone(servers, 1)
            let reading = Task { await slow.readSlowly(count: total, pauseEvery: 200, pause: 0.005) }
            try await ChatClient.join(port: ports[0], username: "sender") { sender in
                try await Self.waitForEveryone(servers, 2)
                let text = String(repeating: "s", count: 1000)
                try await sender.send(contentsOf: (0..<total).map { ByteBuffer(string: "\($0) \(text)") })
                let received = await reading.value
                let inOrder = received["sender"] == Array(0..<total)
                #expect(inOrder, "\(received["sender"]?.count ?? 0) of \(total) texts arrived, in order: \(inOrder)")
            }
        }
        #expect(links.events.withLock { $0.values.flatMap { $0 }.filter { $0.hasPrefix("dropped") } }.isEmpty)
    }

    @Test func aNodeWithANarrowerFramingDropsWhatItCannotFrameAndGoesOn() async throws {
        let nats = try await NATSServerProcess()
        defer { nats.stop() }
        let links = Links()
        let wide = try Self.configuration(nats, announces: false)
        var narrow = wide
        narrow.server.framing = .header(width: 2)  // texts of at most 99 bytes
        try await withChatServer(wide, onEvent: { links.record(0, $0) }) { widePort, wideServer in
            try await withChatServer(narrow, onEvent: { links.record(1, $0) }) { narrowPort, narrowServer in
                try await links.wait(for: "whole", nodes: 2)
                let narrowClient = ClientConfiguration(framing: .header(width: 2))
                try await ChatClient.join(port: narrowPort, username: "nora", configuration: narrowClient) { nora in
                    try await Self.waitForEveryone([wideServer, narrowServer], 1)
                    try await ChatClient.join(port: widePort, username: "will") { will in
                        try await Self.waitForEveryone([wideServer, narrowServer], 2)
                        try await will.send(String(repeating: "w", count: 120))
                        try await will.send("short")
                        var atNora = nora.records.makeAsyncIterator()
                        #expect(try await atNora.next() == ChatRecord(username: "will", text: "short"))
                    }
                }
            }
        }
    }
}
