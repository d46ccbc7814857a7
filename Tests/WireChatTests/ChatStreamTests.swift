import Foundation
import NIOCore
import Synchronization
import Testing
import Wire
import WireChat
import WireNATS
import WireTestSupport

/// A room kept in a JetStream stream, over two nodes, against a real `nats-server -js`: every text
/// once, in the stream's order on every node, through a NATS server killed and started again, a
/// node cut off from NATS, and a node started again.
@Suite(.timeLimit(.minutes(2)), .enabled(if: NATSServerProcess.shouldRun))
struct ChatStreamTests {
    static func configuration(url: String, history: Int = 0, announces: Bool = false) throws -> ChatServerConfiguration
    {
        try Self.configuration(urls: [url], history: history, announces: announces)
    }

    static func configuration(
        urls: [String],
        history: Int = 0,
        announces: Bool = false
    ) throws -> ChatServerConfiguration {
        var configuration = ChatServerConfiguration(
            server: ServerConfiguration(port: 0),
            historySize: history,
            announcesMembership: announces
        )
        configuration.nats = try ChatNATSConfiguration(
            servers: urls.map(NATSServerAddress.init(parsing:)),
            room: "stream"
        )
        // Quick to find a silent link, and quick to come back.
        configuration.nats?.client.pingInterval = .milliseconds(500)
        configuration.nats?.client.maximumReconnectWait = .milliseconds(250)
        return configuration
    }

    /// Runs a node until `body` returns; its events go to `links` as node `index`.
    static func withNode<Result: Sendable>(
        _ configuration: ChatServerConfiguration,
        _ index: Int,
        _ links: ChatNodesTests.Links,
        _ body: (Int, ChatServer) async throws -> Result
    ) async throws -> Result {
        try await withChatServer(configuration, onEvent: { links.record(index, $0) }) { port, server in
            try await links.wait(for: "whole", nodes: index + 1)
            return try await body(port, server)
        }
    }

    /// The next `count` texts from `records`, in order, as (sender, number): texts are "NUMBER from
    /// NAME". One iterator per session, kept across calls: a second one would miss what the first
    /// had already taken from the connection.
    static func read(
        _ records: inout ChatRecords.AsyncIterator,
        count: Int
    ) async throws -> [(sender: String, number: Int)] {
        var received: [(String, Int)] = []
        while received.count < count, let record = try await records.next() {
            guard record.username != ChatRoom.serverName else { continue }
            received.append((record.username, Int(record.text.prefix { $0 != " " }) ?? -1))
        }
        return received
    }

    /// Sends `count` texts, one every `pause` (none: at once), then returns.
    static func send(_ session: ChatSession, count: Int, pause: Duration? = nil) async throws {
        for number in 0..<count {
            try await session.send("\(number) from \(session.username)")
            if let pause { try await Task.sleep(for: pause) }
        }
    }

    /// Checks that each client got every other client's texts once, each sender's in order, and
    /// that any two clients saw the texts they both got in the same order.
    static func check(_ received: [String: [(sender: String, number: Int)]], texts: Int, sameOrder: Bool = true) {
        let names = received.keys.sorted()
        for name in names {
            let got = received[name] ?? []
            for sender in names where sender != name {
                let numbers = got.filter { $0.sender == sender }.map(\.number)
                if numbers != Array(0..<texts) {
                    Issue.record("\(name) got \(numbers.count) of \(sender)'s \(texts) texts, or not in order")
                }
            }
            #expect(!got.contains { $0.sender == name }, "\(name) got its own texts back")
        }
        guard sameOrder else { return }
        for (index, first) in names.enumerated() {
            for second in names[(index + 1)...] {
                let common = { (list: [(sender: String, number: Int)]) in
                    list.filter { $0.sender != first && $0.sender != second }.map { "\($0.sender)/\($0.number)" }
                }
                #expect(
                    common(received[first] ?? []) == common(received[second] ?? []),
                    "\(first) and \(second) saw the room in different orders"
                )
            }
        }
    }

    /// Four clients, two per node: each sends `texts` (calling `during` once the first client has
    /// received `after` texts) and reads all the others'.
    static func talk(
        ports: [Int],
        servers: [ChatServer],
        texts: Int,
        pause: Duration?,
        after: Int = 0,
        during: @escaping @Sendable () async throws -> Void = {}
    ) async throws -> [String: [(sender: String, number: Int)]] {
        let clients = 4
        let names = (0..<clients).map { "user\($0)" }
        return try await withThrowingTaskGroup(of: (String, [(sender: String, number: Int)]).self) { group in
            let ready = Counter()
            for (index, name) in names.enumerated() {
                group.addTask {
                    try await ChatClient.join(port: ports[index % 2], username: name) { session in
                        // Everyone is in the room, on both nodes, before anyone talks.
                        ready.increment()
                        while ready.value < clients { try await Task.sleep(for: .milliseconds(5)) }
                        try await ChatNodesTests.waitForEveryone(servers, clients)
                        async let sending: Void = Self.send(session, count: texts, pause: pause)
                        var records = session.records.makeAsyncIterator()
                        var received: [(sender: String, number: Int)] = []
                        if index == 0 && after > 0 {
                            received = try await Self.read(&records, count: after)
                            try await during()
                        }
                        received += try await Self.read(&records, count: (clients - 1) * texts - received.count)
                        try await sending
                        return (name, received)
                    }
                }
            }
            var all: [String: [(sender: String, number: Int)]] = [:]
            for try await (name, received) in group { all[name] = received }
            return all
        }
    }

    final class Counter: Sendable {
        private let count = Atomic<Int>(0)
        func increment() { self.count.add(1, ordering: .relaxed) }
        var value: Int { self.count.load(ordering: .relaxed) }
    }

    @Test func everyNodeDeliversEveryTextInTheStreamsOrder() async throws {
        let nats = try await NATSServerProcess(jetStream: true)
        defer { nats.stop() }
        let links = ChatNodesTests.Links()
        let configuration = try Self.configuration(url: nats.url)
        let received = try await Self.withNode(configuration, 0, links) { first, one in
            try await Self.withNode(configuration, 1, links) { second, two in
                try await Self.talk(ports: [first, second], servers: [one, two], texts: 500, pause: nil)
            }
        }
        Self.check(received, texts: 500)
        #expect(links.count("stream", on: 0) == 1)
        #expect(links.count("core", on: 0) == 0)
    }

    @Test func nothingIsLostWhenNATSIsKilledAndStartedAgain() async throws {
        let nats = try await NATSServerProcess(jetStream: true)
        defer { nats.stop() }
        let links = ChatNodesTests.Links()
        let configuration = try Self.configuration(url: nats.url)
        let received = try await Self.withNode(configuration, 0, links) { first, one in
            try await Self.withNode(configuration, 1, links) { second, two in
                // About three seconds of talk; NATS dies without a word a third of the way in.
                try await Self.talk(
                    ports: [first, second],
                    servers: [one, two],
                    texts: 300,
                    pause: .milliseconds(10),
                    after: 300
                ) {
                    nats.signal(SIGKILL)
                    try await links.wait(for: "split", nodes: 2)
                    try await nats.restart()
                }
            }
        }
        Self.check(received, texts: 300, sameOrder: false)
        #expect(links.count("whole", on: 0) >= 2)
    }

    @Test func aNodeCutOffFromNATSCatchesUpAndLosesNothing() async throws {
        let nats = try await NATSServerProcess(jetStream: true)
        defer { nats.stop() }
        let proxy = try await TCPProxy.start(to: "127.0.0.1", port: nats.port)
        let links = ChatNodesTests.Links()
        let direct = try Self.configuration(url: nats.url)
        let cut = try Self.configuration(url: "nats://127.0.0.1:\(proxy.port)")
        let received = try await Self.withNode(direct, 0, links) { first, one in
            try await Self.withNode(cut, 1, links) { second, two in
                try await Self.talk(
                    ports: [first, second],
                    servers: [one, two],
                    texts: 300,
                    pause: .milliseconds(10),
                    after: 200
                ) {
                    // Node 1's link goes silent: no FIN, no RST. It notices by its pings, goes on
                    // serving its own members, and catches up once the link is back.
                    proxy.silence()
                    try await links.wait(for: "split", on: 1)
                    proxy.resume()
                }
            }
        }
        Self.check(received, texts: 300, sameOrder: false)
        #expect(links.count("split", on: 1) >= 1)
        #expect(links.count("split", on: 0) == 0)
    }

    @Test func aNodeStartedAgainGivesNewcomersTheRoomsLastTextsFromTheStream() async throws {
        let nats = try await NATSServerProcess(jetStream: true)
        defer { nats.stop() }
        let links = ChatNodesTests.Links()
        let configuration = try Self.configuration(url: nats.url, history: 5, announces: true)
        try await Self.withNode(configuration, 0, links) { port, _ in
            try await ChatClient.join(port: port, username: "bob") { bob in
                try await Self.send(bob, count: 8)
                // Every text is stored once it has come back to the node that sent it: a
                // second member there sees the last one.
                try await ChatClient.join(port: port, username: "witness") { witness in
                    var records = witness.records.makeAsyncIterator()
                    while let record = try await records.next(), record.text != "7 from bob" {}
                }
            }
        }
        // A node that starts afresh (a restart, or a new one) reads the room's end from the stream.
        let fresh = ChatNodesTests.Links()
        try await Self.withNode(configuration, 0, fresh) { port, _ in
            try await ChatClient.join(port: port, username: "carol") { carol in
                var records = carol.records.makeAsyncIterator()
                var history: [String] = []
                while let record = try await records.next(), record.text != "end of history" {
                    history.append("\(record.username) > \(record.text)")
                }
                #expect(
                    history == [
                        "[server] > history: the last 5 texts", "bob > 3 from bob", "bob > 4 from bob",
                        "bob > 5 from bob",
                        "bob > 6 from bob", "bob > 7 from bob",
                    ]
                )
            }
        }
    }
}
