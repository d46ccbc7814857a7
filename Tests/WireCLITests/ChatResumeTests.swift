import Foundation
import Testing
import WireTestSupport

/// `wire chat` whose connection drops, through a TCP proxy the test controls: it says so, connects
/// again and prints what was said meanwhile, once and in order.
@Suite(.timeLimit(.minutes(2)))
struct ChatResumeTests {
    /// Counts how often `text` occurs in `output`.
    static func count(_ text: String, in output: String) -> Int {
        output.components(separatedBy: text).count - 1
    }

    @Test func aConnectionResetIsResumedWithWhatWasMissedPrintedOnce() async throws {
        let server = try RunningProcess.wire(["chat-server", "0", "--quiet"])
        let port = try await server.port()
        let proxy = try await TCPProxy.start(to: "127.0.0.1", port: port)
        let alice = try RunningProcess.wire(
            ["chat", "--username", "alice", "-p", "\(proxy.port)"],
            keepInputOpen: true
        )
        try await server.waitForOutput(containing: "username: alice\n")
        _ = try await RunningProcess.python("tutorial_chat_client.py", ["\(port)", "bob", "0", "before"]).finish()
        try await alice.waitForOutput(containing: "bob > before\n")

        // The connection is reset, and the way back is closed for a while: bob talks meanwhile.
        proxy.refuse(true)
        proxy.reset()
        try await alice.waitForOutput(containing: "* connection lost: ")
        try await server.waitForOutput(containing: "Closed connection from: alice\n")
        _ = try await RunningProcess.python(
            "tutorial_chat_client.py",
            ["\(port)", "bob", "0", "while away 1", "while away 2", "while away 3"]
        ).finish()
        // Said and relayed: the server has seen this bob leave too.
        _ = await server.output.text { Self.count("Closed connection from: bob\n", in: $0) >= 2 }
        proxy.refuse(false)

        try await alice.waitForOutput(containing: "bob > while away 3\n")
        _ = try await RunningProcess.python("tutorial_chat_client.py", ["\(port)", "bob", "0", "after"]).finish()
        try await alice.waitForOutput(containing: "bob > after\n")
        try alice.closeInput()
        let result = try await alice.finish()
        #expect(result.status == 0, "\(result.error)")
        let output = result.output
        #expect(
            output.hasPrefix(
                "bob > before\n* connection lost: connection reset by 127.0.0.1:\(proxy.port); connecting again in 0.5 seconds\n"
            ),
            "\(output)"
        )
        #expect(
            output.contains(
                "* connected again\n[server] > missed while away: 3 texts\nbob > while away 1\nbob > while away 2\nbob > while away 3\nbob > after\n"
            ),
            "\(output)"
        )
        for line in [
            "bob > before\n", "bob > while away 1\n", "bob > while away 2\n", "bob > while away 3\n", "bob > after\n",
        ] {
            #expect(Self.count(line, in: output) == 1, "\(line) in \(output)")
        }
        server.interrupt()
        _ = try await server.finish()
    }

    @Test func aConnectionThatGoesSilentIsNoticedByItsHeartbeatsAndResumed() async throws {
        let server = try RunningProcess.wire(["chat-server", "0", "--quiet"])
        let port = try await server.port()
        let proxy = try await TCPProxy.start(to: "127.0.0.1", port: port)
        // Heartbeats every second: a silence of three is noticed (10 seconds each by default).
        let alice = try RunningProcess.wire(
            ["chat", "--username", "alice", "-p", "\(proxy.port)", "--heartbeat", "1"],
            keepInputOpen: true
        )
        try await server.waitForOutput(containing: "username: alice\n")
        _ = try await RunningProcess.python("tutorial_chat_client.py", ["\(port)", "bob", "0", "before"]).finish()
        try await alice.waitForOutput(containing: "bob > before\n")

        // Nothing passes any more, and nobody is told: no FIN, no RST.
        proxy.silence()
        let noticed = try await alice.waitForOutput(containing: "* connection lost: ")
        #expect(
            noticed.contains("nothing came from the other side for 3.0 seconds, not even a heartbeat"),
            "\(noticed)"
        )
        _ = try await RunningProcess.python("tutorial_chat_client.py", ["\(port)", "bob", "0", "in the silence"])
            .finish()
        proxy.resume()

        try await alice.waitForOutput(containing: "bob > in the silence\n")
        try alice.closeInput()
        let result = try await alice.finish()
        #expect(result.status == 0, "\(result.error)")
        #expect(
            result.output.contains("[server] > missed while away: 1 text\nbob > in the silence\n"),
            "\(result.output)"
        )
        #expect(Self.count("bob > before\n", in: result.output) == 1, "\(result.output)")
        #expect(Self.count("bob > in the silence\n", in: result.output) == 1, "\(result.output)")
        server.interrupt()
        _ = try await server.finish()
    }

    @Test func wireChatGivesUpOnAServerThatIsGoneAndSaysSo() async throws {
        let server = try RunningProcess.wire(["chat-server", "0", "--quiet"])
        let port = try await server.port()
        let alice = try RunningProcess.wire(
            ["chat", "--username", "alice", "-p", "\(port)", "--give-up-after", "2"],
            keepInputOpen: true
        )
        try await server.waitForOutput(containing: "username: alice\n")
        server.interrupt()
        _ = try await server.finish()
        let result = try await alice.finish()
        #expect(result.status == 1)
        #expect(
            result.output.contains(
                "[server] > the server is shutting down\n* connection lost: the server closed the connection; connecting again in 0.5 seconds\n"
            ),
            "\(result.output)"
        )
        #expect(
            result.error.hasPrefix(
                "Error: connection to 127.0.0.1:\(port) refused: nothing is listening there, and the server could not be reached again within 2.0 seconds"
            ),
            "\(result.error)"
        )
    }
}
