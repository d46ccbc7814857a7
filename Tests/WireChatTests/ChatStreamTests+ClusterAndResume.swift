import Foundation
import NIOCore
import Synchronization
import Testing
import Wire
import WireChat
import WireNATS
import WireTestSupport

/// The stream on a three-server cluster, members resuming from the stream's positions, and a
/// server without JetStream.
extension ChatStreamTests {
    @Test func aThreeServerClusterKeepsThreeCopiesAndLosesNothingWhenOneServerIsKilled() async throws {
        let cluster = try await NATSServerProcess.cluster(size: 3)
        defer { for server in cluster { server.stop() } }
        let links = ChatNodesTests.Links()
        // Each node knows the three servers, and starts with a different one.
        let urls = cluster.map(\.url)
        let first = try Self.configuration(urls: urls)
        let second = try Self.configuration(urls: [urls[1], urls[2], urls[0]])
        let received = try await Self.withNode(first, 0, links) { firstPort, one in
            try await Self.withNode(second, 1, links) { secondPort, two in
                try await Self.talk(
                    ports: [firstPort, secondPort],
                    servers: [one, two],
                    texts: 300,
                    pause: .milliseconds(10),
                    after: 200
                ) {
                    // The server the first node is on dies; the others elect new leaders and go on.
                    cluster[0].signal(SIGKILL)
                    try await links.wait(for: "whole", on: 0, times: 2)
                }
            }
        }
        Self.check(received, texts: 300, sameOrder: false)
        #expect(links.events.withLock { $0[0]?.contains("stream 3 copies") } == true)
    }

    @Test func aMemberResumesOnAnotherNodeFromTheStreamsPositions() async throws {
        let nats = try await NATSServerProcess(jetStream: true)
        defer { nats.stop() }
        let links = ChatNodesTests.Links()
        let configuration = try Self.configuration(url: nats.url)
        try await Self.withNode(configuration, 0, links) { first, one in
            try await Self.withNode(configuration, 1, links) { second, two in
                try await ChatClient.join(port: first, username: "bob") { bob in
                    let last = try await ChatClient.join(port: second, username: "witness") { witness in
                        let last = try await ChatClient.join(
                            port: first,
                            username: "alice",
                            hello: ChatHello(session: "a")
                        ) { alice in
                            try await ChatNodesTests.waitForEveryone([one, two], 3)
                            try await bob.send("0 from bob")
                            var records = alice.records.makeAsyncIterator()
                            let record = try #require(try await records.next())
                            #expect(record.text == "0 from bob")
                            return try #require(record.position)
                        }
                        for number in 1...3 { try await bob.send("\(number) from bob") }
                        // Stored and delivered: the witness on the other node has them all.
                        var records = witness.records.makeAsyncIterator()
                        while let record = try await records.next(), record.text != "3 from bob" {}
                        return last
                    }
                    // alice comes back on the other node: the positions are the stream's, the
                    // same on both, so it knows what she missed.
                    try await ChatClient.join(
                        port: second,
                        username: "alice",
                        hello: ChatHello(session: "a", resume: last)
                    ) { alice in
                        var records = alice.records.makeAsyncIterator()
                        var back: [String] = []
                        while let record = try await records.next() {
                            back.append("\(record.username) > \(record.text)")
                            if record.text == "3 from bob" { break }
                        }
                        #expect(
                            back == [
                                "[server] > missed while away: 3 texts", "bob > 1 from bob", "bob > 2 from bob",
                                "bob > 3 from bob",
                            ]
                        )
                    }
                }
            }
        }
    }

    @Test func aMemberGetsFromTheStreamWhatTheNodesLogNoLongerKeeps() async throws {
        let nats = try await NATSServerProcess(jetStream: true)
        defer { nats.stop() }
        let links = ChatNodesTests.Links()
        var configuration = try Self.configuration(url: nats.url)
        configuration.resumeLogSize = 2
        try await Self.withNode(configuration, 0, links) { port, server in
            try await ChatClient.join(port: port, username: "bob") { bob in
                let last = try await ChatClient.join(port: port, username: "witness") { witness in
                    let last = try await ChatClient.join(port: port, username: "alice", hello: ChatHello(session: "a"))
                    { alice in
                        try await ChatNodesTests.waitForEveryone([server], 3)
                        try await bob.send("0 from bob")
                        var records = alice.records.makeAsyncIterator()
                        let record = try #require(try await records.next())
                        #expect(record.text == "0 from bob")
                        return try #require(record.position)
                    }
                    // Six texts in several batches of the stream, on a node whose log keeps two.
                    var records = witness.records.makeAsyncIterator()
                    for pair in stride(from: 1, through: 5, by: 2) {
                        try await bob.send("\(pair) from bob")
                        try await bob.send("\(pair + 1) from bob")
                        while let record = try await records.next(), record.text != "\(pair + 1) from bob" {}
                    }
                    return last
                }
                try await ChatClient.join(port: port, username: "alice", hello: ChatHello(session: "a", resume: last)) {
                    alice in
                    var records = alice.records.makeAsyncIterator()
                    var back: [String] = []
                    while let record = try await records.next() {
                        back.append("\(record.username) > \(record.text)")
                        if record.text == "6 from bob" { break }
                    }
                    #expect(back == ["[server] > missed while away: 6 texts"] + (1...6).map { "bob > \($0) from bob" })
                }
            }
        }
    }

    @Test func aServerWithoutJetStreamLinksTheRoomOverCoreNATS() async throws {
        let nats = try await NATSServerProcess()
        defer { nats.stop() }
        let links = ChatNodesTests.Links()
        let configuration = try Self.configuration(url: nats.url)
        try await Self.withNode(configuration, 0, links) { first, _ in
            try await Self.withNode(configuration, 1, links) { second, servers in
                try await ChatClient.join(port: first, username: "alice") { alice in
                    try await ChatClient.join(port: second, username: "bob") { bob in
                        while servers.room.allUsernames.count < 2 { try await Task.sleep(for: .milliseconds(5)) }
                        try await alice.send("hello over core NATS")
                        var records = bob.records.makeAsyncIterator()
                        #expect(try await records.next() == ChatRecord(username: "alice", text: "hello over core NATS"))
                    }
                }
            }
        }
        #expect(links.count("core", on: 0) == 1)
        #expect(links.count("core", on: 1) == 1)
        #expect(links.count("stream", on: 0) == 0)
    }
}
