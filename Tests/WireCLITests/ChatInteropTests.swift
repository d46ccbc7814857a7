import Foundation
import Testing

/// `wire chat-server` and `wire chat` with the tutorial's own chat client and server (docs/PROTOCOLS.md §4).
@Suite(.timeLimit(.minutes(2)))
struct ChatInteropTests {
    @Test func tutorialClientsTalkThroughWireChatServer() async throws {
        let server = try RunningProcess.wire(["chat-server", "--port", "0", "--quiet", "--show-messages"])
        let port = try await server.port()
        let bob = try RunningProcess.python("tutorial_chat_client.py", ["\(port)", "bob", "1"])
        try await server.waitForOutput(containing: "username: bob\n")
        let alice = try await RunningProcess.python("tutorial_chat_client.py", ["\(port)", "alice", "0", "h\u{e9}llo"])
            .finish()
        #expect(alice.status == 0)
        let bobResult = try await bob.finish()
        #expect(bobResult.output == "alice > h\u{e9}llo\n")
        let log = try await server.waitForOutput(containing: "Closed connection from: bob\n")
        let expected = try Regex(
            #"Accepted new connection from 127\.0\.0\.1:\d+, username: bob\nAccepted new connection from 127\.0\.0\.1:\d+, username: alice\nReceived message from alice: h\x{e9}llo\n"#
        )
        #expect(log.contains(expected), "\(log)")
        #expect(log.contains("Closed connection from: alice\n"))
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }

    @Test func wireChatTalksToTheTutorialServer() async throws {
        let server = try RunningProcess.python("tutorial_chat_server.py", ["2"])
        let port = try await server.port()
        let carol = try RunningProcess.wire(
            ["chat", "--username", "carol", "--port", "\(port)", "--plain"],
            keepInputOpen: true
        )
        try await server.waitForOutput(containing: "username: carol\n")
        let dave = try RunningProcess.python("tutorial_chat_client.py", ["\(port)", "dave", "1", "hi carol"])
        try await carol.waitForOutput(containing: "dave > hi carol\n")
        await carol.send("hi dave\n")
        let daveResult = try await dave.finish()
        #expect(daveResult.output == "carol > hi dave\n")
        try carol.closeInput()
        let carolResult = try await carol.finish()
        #expect(carolResult.status == 0, "\(carolResult.error)")
        #expect(carolResult.output == "dave > hi carol\n")
        let log = try await server.finish().output
        #expect(log.contains("Received message from carol: hi dave\n"))
    }

    @Test func wireChatClientsSeeJoinsTextsAndLeaves() async throws {
        let server = try RunningProcess.wire(["chat-server", "--port", "0"])
        let port = try await server.port()
        let erin = try RunningProcess.wire(["chat", "--username", "erin", "--port", "\(port)"], keepInputOpen: true)
        try await server.waitForOutput(containing: "username: erin\n")
        let frank = try await RunningProcess.wire(
            ["chat", "--username", "frank", "--port", "\(port)"],
            standardInput: "hello erin\n"
        ).finish()
        #expect(frank.status == 0, "\(frank.error)")
        try await erin.waitForOutput(containing: "[server] > frank left\n")
        try erin.closeInput()
        let erinResult = try await erin.finish()
        #expect(erinResult.status == 0)
        #expect(erinResult.output == "[server] > frank joined\nfrank > hello erin\n[server] > frank left\n")
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }

    @Test func wireChatServerRefusesATakenName() async throws {
        let server = try RunningProcess.wire(["chat-server", "--port", "0", "--quiet", "--show-messages"])
        let port = try await server.port()
        let first = try RunningProcess.python("tutorial_chat_client.py", ["\(port)", "gina", "1"])
        try await server.waitForOutput(containing: "username: gina\n")
        let second = try await RunningProcess.python("tutorial_chat_client.py", ["\(port)", "gina", "2"]).finish()
        #expect(
            second.output == "[server] > refused: username \"gina\" is already taken\nConnection closed by the server\n"
        )
        #expect(
            try await server.waitForOutput(containing: "is already taken\n").contains(
                "Refused connection from 127.0.0.1:"
            )
        )
        first.terminate()
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }
}
