import Foundation
import Testing
import WireTestSupport

/// Two `wire chat-server` nodes on one real nats-server, with `wire chat` and the tutorial's chat
/// client, through a NATS restart.
@Suite(.timeLimit(.minutes(2)), .enabled(if: NATSServerProcess.shouldRun))
struct ChatNodesInteropTests {
    @Test func twoNodesServeOneRoomAndSurviveANATSRestart() async throws {
        let nats = try await NATSServerProcess()
        defer { nats.stop() }
        let arguments = ["chat-server", "--port", "0", "--nats", nats.url, "--room", "cli"]
        let first = try RunningProcess.wire(arguments)
        let second = try RunningProcess.wire(arguments + ["--show-messages"])
        let (firstPort, secondPort) = (try await first.port(), try await second.port())
        for node in [first, second] {
            try await node.waitForOutput(
                containing: "Room whole: linked to the other nodes of room cli through \(nats.url)\n"
            )
        }

        let erin = try RunningProcess.wire(
            ["chat", "--username", "erin", "--port", "\(firstPort)"],
            keepInputOpen: true
        )
        try await first.waitForOutput(containing: "username: erin\n")
        let bob = try RunningProcess.python("tutorial_chat_client.py", ["\(secondPort)", "bob", "3", "hi erin"])
        try await erin.waitForOutput(containing: "bob > hi erin\n")
        await erin.send("/who\n")
        try await erin.waitForOutput(containing: "[server] > online: erin, bob\n")
        // The tutorial's client on each node.
        let carol = try RunningProcess.python("tutorial_chat_client.py", ["\(firstPort)", "carol", "3"])
        try await erin.waitForOutput(containing: "[server] > carol joined\n")
        await erin.send("hello bob\nsecond\n")
        let bobResult = try await bob.finish()
        #expect(bobResult.output == "[server] > carol joined\nerin > hello bob\nerin > second\n")
        let carolResult = try await carol.finish()
        #expect(carolResult.output == "erin > hello bob\nerin > second\n[server] > bob left\n")
        try await erin.waitForOutput(containing: "[server] > carol left\n")
        try await erin.waitForOutput(containing: "[server] > bob left\n")
        #expect(
            try await second.waitForOutput(containing: "Received message from bob: hi erin\n").contains(
                "username: bob\n"
            )
        )

        nats.stop()
        for node in [first, second] {
            try await node.waitForOutput(containing: "Room split: NATS is out of reach")
        }
        try await erin.waitForOutput(
            containing: "[server] > room split: the other nodes are out of reach until NATS is back\n"
        )
        try await nats.restart()
        try await erin.waitForOutput(containing: "[server] > room whole again: the other nodes are back\n")
        try erin.closeInput()
        let erinResult = try await erin.finish()
        #expect(erinResult.status == 0, "\(erinResult.error)")
        #expect(
            erinResult.output == """
                [server] > bob joined
                bob > hi erin
                [server] > online: erin, bob
                [server] > carol joined
                [server] > bob left
                [server] > carol left
                [server] > room split: the other nodes are out of reach until NATS is back
                [server] > room whole again: the other nodes are back

                """
        )
        for node in [first, second] {
            node.interrupt()
            #expect(try await node.finish().status == 0)
        }
    }

    @Test func aBrowserOnOneNodeTalksWithATutorialClientOnTheOther() async throws {
        let nats = try await NATSServerProcess()
        defer { nats.stop() }
        let tcpNode = try RunningProcess.wire(["chat-server", "--port", "0", "--nats", nats.url])
        let tcpPort = try await tcpNode.port()
        let webNode = try RunningProcess.wire([
            "chat-server", "0", "--web-port", "0", "--max-message-size", "65536", "--nats", nats.url,
        ])
        let output = try await webNode.waitForOutput(containing: "(WebSocket at /chat)\n")
        let web = try #require(output.firstMatch(of: try Regex(#"http://127\.0\.0\.1:(\d+)/"#)))
        let webPort = try #require(web.output[1].substring.flatMap { Int($0) })
        for node in [tcpNode, webNode] {
            try await node.waitForOutput(containing: "Room whole")
        }
        // The same checks as for one node (both directions, refusals, closes), across two.
        let driver = try await RunningProcess.python("ws_chat.py", ["\(tcpPort)", "\(webPort)"]).finish()
        #expect(driver.output.hasSuffix("ok\n"), "\(driver.output)\(driver.error)")
        for node in [tcpNode, webNode] {
            node.interrupt()
            #expect(try await node.finish().status == 0)
        }
    }

    @Test func stopsPromptlyWhenNATSHasStoppedAnswering() async throws {
        let nats = try await NATSServerProcess()
        defer {
            nats.signal(SIGCONT)
            nats.stop()
        }
        let node = try RunningProcess.wire(["chat-server", "--port", "0", "--nats", nats.url])
        _ = try await node.port()
        try await node.waitForOutput(containing: "Room whole")
        // Frozen, not gone: the node's goodbye gets no answer, and must not hold up the shutdown.
        nats.signal(SIGSTOP)
        node.interrupt()
        let result = try await node.finish(timeout: .seconds(15))
        #expect(result.status == 0, "\(result.error)")
    }

    @Test func refusesABadNATSURLOrRoomNameInOneSentence() async throws {
        let badURL = try await RunningProcess.wire(["chat-server", "--port", "0", "--nats", "http://127.0.0.1:4222"])
            .finish()
        #expect(badURL.status == 2)
        #expect(
            badURL.error.contains(
                "Error: --nats: \"http://127.0.0.1:4222\" is not a NATS server URL: the scheme must be nats:// or tls://, not http://"
            ),
            "\(badURL.error)"
        )
        let badRoom = try await RunningProcess.wire([
            "chat-server", "--port", "0", "--nats", "nats://127.0.0.1:4222", "--room", "a.b",
        ]).finish()
        #expect(badRoom.status == 2)
        #expect(
            badRoom.error.contains(
                "Error: --room: \"a.b\" is not a room name: use 1 to 64 ASCII letters, digits, - and _"
            ),
            "\(badRoom.error)"
        )
        let roomAlone = try await RunningProcess.wire(["chat-server", "--port", "0", "--room", "lobby"]).finish()
        #expect(roomAlone.status == 2)
        #expect(
            roomAlone.error.hasPrefix("Error: --room needs --nats: without NATS the room is this node's alone.\n"),
            "\(roomAlone.error)"
        )
    }

    @Test func theRoomIsKeptInAStreamWhereNATSHasJetStreamAndSaysSo() async throws {
        let nats = try await NATSServerProcess(jetStream: true)
        defer { nats.stop() }
        let arguments = [
            "chat-server", "--port", "0", "--nats", nats.url, "--room", "kept", "--history", "3", "--quiet",
        ]
        let first = try RunningProcess.wire(arguments + ["--stream-max-age", "90m", "--stream-max-bytes", "64MiB"])
        let firstPort = try await first.port()
        try await first.waitForOutput(
            containing:
                "Room kept in JetStream stream WIRE_CHAT_kept (file, 1 copy, texts kept 90m / 64 MiB; 0 batches stored)\n"
        )
        try await first.waitForOutput(
            containing: "Room whole: linked to the other nodes of room kept through \(nats.url)\n"
        )
        // The tutorial's client says four things and leaves; alice, on the same node, gets them
        // once they have come back from the stream: they are kept there.
        let alice = try RunningProcess.python("tutorial_chat_client.py", ["\(firstPort)", "alice", "4"])
        try await first.waitForOutput(containing: "username: alice\n")
        let bob = try await RunningProcess.python(
            "tutorial_chat_client.py",
            ["\(firstPort)", "bob", "0", "one", "two", "three", "four"]
        ).finish()
        #expect(bob.status == 0, "\(bob.error)")
        #expect(try await alice.finish().output == "bob > one\nbob > two\nbob > three\nbob > four\n")

        // NATS is killed and started again on its store; a node that starts now, on the same
        // stream, gives a newcomer the room's last three texts.
        nats.signal(SIGKILL)
        try await first.waitForOutput(containing: "Room split: NATS is out of reach")
        try await nats.restart()
        let second = try RunningProcess.wire(arguments)
        let secondPort = try await second.port()
        // Started without limits, it keeps the stream's: 90 minutes and 64 MiB.
        // (One batch or more: that depends on how the server read bob's four texts.)
        try await second.waitForOutput(
            containing: "Room kept in JetStream stream WIRE_CHAT_kept (file, 1 copy, texts kept 90m / 64 MiB; "
        )
        let carol = try await RunningProcess.python("tutorial_chat_client.py", ["\(secondPort)", "carol", "3"]).finish()
        #expect(carol.output == "bob > two\nbob > three\nbob > four\n", "\(carol.output)\(carol.error)")
        for node in [first, second] {
            node.interrupt()
            #expect(try await node.finish().status == 0)
        }
    }

    @Test func withoutJetStreamOrWithNATSCoreTheRoomIsLinkedOverCoreNATS() async throws {
        let plain = try await NATSServerProcess()
        defer { plain.stop() }
        let node = try RunningProcess.wire(["chat-server", "--port", "0", "--nats", plain.url])
        _ = try await node.port()
        try await node.waitForOutput(
            containing:
                "Warning: \(plain.url) offers no JetStream; linking the room over core NATS, which keeps nothing (texts sent while a node is cut off are lost to it)\n"
        )
        try await node.waitForOutput(containing: "Room whole")
        node.interrupt()
        _ = try await node.finish()

        let withJetStream = try await NATSServerProcess(jetStream: true)
        defer { withJetStream.stop() }
        let core = try RunningProcess.wire(["chat-server", "--port", "0", "--nats", withJetStream.url, "--nats-core"])
        _ = try await core.port()
        let output = try await core.waitForOutput(containing: "Room whole")
        #expect(!output.contains("JetStream"), "\(output)")
        core.interrupt()
        _ = try await core.finish()

        let mixed = try await RunningProcess.wire([
            "chat-server", "--port", "0", "--nats", withJetStream.url, "--nats-core", "--stream-max-age", "1h",
        ]).finish()
        #expect(mixed.status == 2)
        #expect(
            mixed.error.contains(
                "Error: --nats-core keeps no stream: --stream-max-age, --stream-max-bytes, --stream-max-batches and --stream-replicas need JetStream."
            ),
            "\(mixed.error)"
        )
        let badAge = try await RunningProcess.wire([
            "chat-server", "--port", "0", "--nats", withJetStream.url, "--stream-max-age", "soon",
        ]).finish()
        #expect(badAge.status == 2)
        #expect(
            badAge.error.contains(
                "Error: --stream-max-age must be a number followed by s, m, h or d (like 24h); got \"soon\"."
            ),
            "\(badAge.error)"
        )
        let badReplicas = try await RunningProcess.wire([
            "chat-server", "--port", "0", "--nats", withJetStream.url, "--stream-replicas", "7",
        ]).finish()
        #expect(badReplicas.status == 2)
        #expect(
            badReplicas.error.contains("Error: --stream-replicas must be from 1 to 5; got 7."),
            "\(badReplicas.error)"
        )
    }
}
