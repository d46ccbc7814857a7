import Crypto
import Foundation
import Testing
import WireTestSupport

@testable import WireCLI

/// Ctrl-C, and how a chat client ends.
@Suite(.timeLimit(.minutes(2)))
struct InterruptAndExitTests {
    @Test func firstCtrlCDrainsAndSaysSoTheSecondStopsAtOnce() async throws {
        let server = try RunningProcess.wire(["serve", "0", "--shutdown-grace", "60"])
        let port = try await server.port()
        let idle = try RunningProcess.wire(["connect", "-p", "\(port)"], keepInputOpen: true)
        try await server.waitForOutput(containing: "has been established.")
        server.interrupt()
        try await server.waitForErrorOutput(containing: "shutting down, 1 connection open (Ctrl-C again to stop now)\n")
        #expect(server.isRunning, "the idle connection has its grace period")
        server.interrupt()
        let result = try await server.finish(timeout: .seconds(20))
        #expect(result.status == 130)
        #expect(result.error.hasSuffix("stopped without waiting for 1 connection\n"))
        try idle.closeInput()
        _ = try await idle.finish()
    }

    @Test func chatExitStatusesSayHowItEnded() async throws {
        let server = try RunningProcess.wire(["chat-server", "0"])
        let port = try await server.port()
        // The end of standard input: a normal end.
        let leaving = try await RunningProcess.wire(
            ["chat", "-p", "\(port)", "--username", "carol"],
            standardInput: "hello\n"
        ).finish()
        #expect(leaving.status == 0, "\(leaving.error)")
        // /quit: a normal end too.
        let alice = try RunningProcess.wire(["chat", "-p", "\(port)", "--username", "alice"], keepInputOpen: true)
        try await server.waitForOutput(containing: "username: alice\n")
        // A taken name: refused by the server, status 3, with the server's reason.
        let taken = try await RunningProcess.wire(
            ["chat", "-p", "\(port)", "--username", "alice"],
            keepInputOpen: true
        ).finish()
        #expect(taken.status == 3)
        #expect(taken.error == "Error: refused by the server: username \"alice\" is already taken\n")
        await alice.send("/quit\n")
        let quit = try await alice.finish()
        #expect(quit.status == 0, "\(quit.error)")
        // The server going away mid-session, without reconnecting: status 1, and it says so.
        let bob = try RunningProcess.wire(
            ["chat", "-p", "\(port)", "--username", "bob", "--no-reconnect"],
            keepInputOpen: true
        )
        try await server.waitForOutput(containing: "username: bob\n")
        server.interrupt()
        let dropped = try await bob.finish()
        #expect(dropped.status == 1)
        #expect(dropped.output.contains("[server] > the server is shutting down\n"))
        #expect(dropped.error == "Error: the server closed the connection\n")
        #expect(try await server.finish().status == 0)
    }
}

/// `wire chat` at a real (pseudo) terminal.
@Suite(.timeLimit(.minutes(2)))
struct ChatTerminalTests {
    @Test func keepsTheHalfTypedLineWhenAMessageArrives() async throws {
        let server = try RunningProcess.wire(["chat-server", "0"])
        let port = try await server.port()
        let driver = try RunningProcess.python("pty_chat.py", [RunningProcess.wire.path, "\(port)"])
        let result = try await driver.finish()
        #expect(result.output.hasSuffix("ok\n"), "\(result.output)\(result.error)")
        server.interrupt()
        _ = try await server.finish()
    }

    @Test(arguments: [
        ("", ChatInput.Action.ignore), ("hello", .send("hello")), ("/who", .send("/who")), ("/quit", .send("/quit")),
        ("//etc/hosts", .send("/etc/hosts")),
        ("/nick bob", .local("unknown command /nick: not sent; /help lists the commands")),
        ("/help", .local(ChatInput.help)),
    ])
    func linesAreSentOrAnsweredHere(line: String, action: ChatInput.Action) {
        #expect(ChatInput.interpret(line) == action)
    }

    @Test func theLineEditorEditsAndSubmits() {
        var editor = LineEditor()
        var events: [LineEditor.Event] = []
        for byte in Array("héllo wörld".utf8) + [0x17] + Array("you".utf8) + [0x1B] + Array("[D".utf8) + [0x7F, 0x0D] {
            events.append(editor.feed(byte))
        }
        #expect(events.last == .submit("héllo yo"))
        #expect(editor.line == "")
        #expect(editor.feed(0x04) == .endOfInput)
        _ = editor.feed(UInt8(ascii: "x"))
        #expect(editor.feed(0x04) == .none, "Ctrl-D ends input only on an empty line")
        #expect(editor.feed(0x03) == .interrupt)
    }
}

@Suite(.timeLimit(.minutes(2)))
struct ServerOutputTests {
    @Test func aServerWhoseStandardOutputIsNotReadGoesOnServing() async throws {
        let driver = try RunningProcess.python("unread_stdout.py", [RunningProcess.wire.path])
        let result = try await driver.finish(timeout: .seconds(100))
        #expect(result.output == "ok\n", "\(result.output)\(result.error)")
    }
}
