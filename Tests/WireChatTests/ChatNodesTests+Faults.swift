import NIOCore
import Synchronization
import Testing
import Wire
import WireChat
import WireFraming
import WireNATS
import WireTestSupport

/// Two nodes through a NATS restart and a silent partition.
extension ChatNodesTests {
    @Test func keepsServingThroughANATSRestartAndHealsAfterIt() async throws {
        let nats = try await NATSServerProcess()
        defer { nats.stop() }
        let links = Links()
        try await Self.withTwoNodes(nats, links: links) { ports, servers in
            // One at a time, so that everyone hears of the next in the same order.
            try await ChatClient.join(port: ports[0], username: "alice") { alice in
                try await Self.waitForEveryone(servers, 1)
                try await ChatClient.join(port: ports[0], username: "carol") { carol in
                    try await Self.waitForEveryone(servers, 2)
                    try await ChatClient.join(port: ports[1], username: "bob") { bob in
                        try await Self.waitForEveryone(servers, 3)
                        var atAlice = alice.records.makeAsyncIterator()
                        var atCarol = carol.records.makeAsyncIterator()
                        var atBob = bob.records.makeAsyncIterator()
                        #expect(try await atAlice.next() == ChatRecord(username: "[server]", text: "carol joined"))
                        #expect(try await atAlice.next() == ChatRecord(username: "[server]", text: "bob joined"))
                        #expect(try await atCarol.next() == ChatRecord(username: "[server]", text: "bob joined"))

                        nats.stop()
                        try await links.wait(for: "split", nodes: 2)
                        let split = ChatRecord(
                            username: "[server]",
                            text: "room split: the other nodes are out of reach until NATS is back"
                        )
                        #expect(try await atAlice.next() == split)
                        #expect(try await atCarol.next() == split)
                        #expect(try await atBob.next() == split)
                        // The room goes on for the members of each node.
                        try await alice.send("local")
                        #expect(try await atCarol.next() == ChatRecord(username: "alice", text: "local"))
                        try await carol.send("/who")
                        #expect(
                            try await atCarol.next()
                                == ChatRecord(
                                    username: "[server]",
                                    text: "online: alice, carol, bob (the other nodes are out of reach)"
                                )
                        )

                        try await nats.restart()
                        try await links.wait(for: "whole", times: 2, nodes: 2)
                        let whole = ChatRecord(username: "[server]", text: "room whole again: the other nodes are back")
                        #expect(try await atAlice.next() == whole)
                        // Alice's text from the split may reach bob too, before or after the notice:
                        // NATS's client kept its publish for the reconnect (core NATS promises no more).
                        let local = ChatRecord(username: "alice", text: "local")
                        var atBobNext = try await atBob.next()
                        if atBobNext == local { atBobNext = try await atBob.next() }
                        #expect(atBobNext == whole, "\(String(describing: atBobNext))")
                        _ = try await Self.probe(from: alice, until: &atBob)
                        try await alice.send("across again")
                        while let next = try await atBob.next(), next.text != "across again" {
                            #expect(
                                next.text.hasPrefix("probe") || next.username == "[server]" || next == local,
                                "\(next)"
                            )
                        }
                        try await bob.send("back to node 1")
                        while let next = try await atAlice.next(), next.text != "back to node 1" {
                            #expect(
                                next.username == "[server]" || next.username == "bob" && next.text.isEmpty,
                                "\(next)"
                            )
                        }
                    }
                }
            }
        }
    }

    @Test(.enabled { await NetworkNamespace.isAvailable() })
    func findsASilentPartitionByItsPingsAndHealsWithTheNetwork() async throws {
        // nats-server on a host of its own: cutting the link loses packets without a word, and only
        // the nodes' pings can tell.
        let host = try await NetworkNamespace()
        defer { host.remove() }
        let nats = try await NATSServerProcess(namespace: host)
        defer { nats.stop() }
        let links = Links()
        try await Self.withTwoNodes(
            nats,
            links: links,
            configure: { $0.nats?.client.pingInterval = .milliseconds(300) }
        ) { ports, servers in
            try await ChatClient.join(port: ports[0], username: "alice") { alice in
                try await Self.waitForEveryone(servers, 1)
                try await ChatClient.join(port: ports[1], username: "bob") { bob in
                    try await Self.waitForEveryone(servers, 2)
                    var atAlice = alice.records.makeAsyncIterator()
                    var atBob = bob.records.makeAsyncIterator()
                    #expect(try await atAlice.next() == ChatRecord(username: "[server]", text: "bob joined"))

                    try await host.partition()
                    try await links.wait(for: "split", nodes: 2)
                    let split = ChatRecord(
                        username: "[server]",
                        text: "room split: the other nodes are out of reach until NATS is back"
                    )
                    #expect(try await atAlice.next() == split)
                    #expect(try await atBob.next() == split)

                    try await host.heal()
                    try await links.wait(for: "whole", times: 2, nodes: 2)
                    let whole = ChatRecord(username: "[server]", text: "room whole again: the other nodes are back")
                    #expect(try await atAlice.next() == whole)
                    #expect(try await atBob.next() == whole)
                    let first = try await Self.probe(from: bob, until: &atAlice)
                    #expect(first?.text.hasPrefix("probe") == true, "\(String(describing: first))")
                    try await alice.send("across again")
                    #expect(try await atBob.next() == ChatRecord(username: "alice", text: "across again"))
                }
            }
        }
    }
}
