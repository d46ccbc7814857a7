import Foundation
import Testing

/// The tutorial's session, with its own Python server and client on one side and `wire` on the other.
@Suite(.timeLimit(.minutes(2)))
struct TutorialInteropTests {
    @Test func wireConnectReadsTheTutorialServerInChunksOfEight() async throws {
        let server = try RunningProcess.python("tutorial_server.py", ["2"])
        let port = try await server.port()

        let chunks = try RunningProcess.wire([
            "connect", "--port", "\(port)", "--framing", "raw", "--buffer-size", "8", "--show-chunks",
        ])
        let result = try await chunks.finish()
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == "Hey ther\ne!!!\n")

        let whole = try RunningProcess.wire(["connect", "--port", "\(port)", "--framing", "raw", "--buffer-size", "8"])
        let wholeResult = try await whole.finish()
        #expect(wholeResult.status == 0, "\(wholeResult.error)")
        #expect(wholeResult.output == "Hey there!!!", "the bytes exactly as the server sent them")
        _ = try await server.finish()
    }

    @Test func theTutorialClientReadsWireServe() async throws {
        let server = try RunningProcess.wire([
            "serve", "--port", "0", "--framing", "raw", "--greeting", "Hey there!!!", "--close-after-greeting",
        ])
        let port = try await server.port()

        let full = try await RunningProcess.python("tutorial_client.py", ["\(port)", "full"]).finish()
        #expect(full.output == "Hey there!!!\n")
        let chunks = try await RunningProcess.python("tutorial_client.py", ["\(port)", "chunks"]).finish()
        #expect(chunks.output == "Hey ther\ne!!!\n")

        let log = try await server.waitForOutput(containing: "closed.\nConnection from")
        #expect(log.contains(try Regex(#"Connection from 127\.0\.0\.1:\d+ has been established\.\n"#)))
        server.interrupt()
        let stopped = try await server.finish()
        #expect(stopped.status == 0)
    }

    @Test func aPythonHeaderClientGetsItsMessagesEchoed() async throws {
        let server = try RunningProcess.wire(["serve", "--port", "0", "--echo"])
        let port = try await server.port()
        let messages = ["Welcome to the server!", "", "h\u{e9}llo", String(repeating: "long ", count: 2000)]
        let client = try await RunningProcess.python("header_peer.py", ["client", "\(port)"] + messages).finish()
        #expect(client.status == 0)
        #expect(client.output == messages.map { "'\($0)'\n" }.joined())
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }

    @Test func wireConnectTalksToAPythonHeaderServer() async throws {
        let server = try RunningProcess.python(
            "header_peer.py",
            ["server", "Welcome to the server!", "The time is 1.5"]
        )
        let port = try await server.port()
        let client = try await RunningProcess.wire(
            ["connect", "--port", "\(port)", "--send", "hi", "--send", "h\u{e9}llo"]
        ).finish()
        #expect(client.status == 0)
        #expect(client.output == "Welcome to the server!\nThe time is 1.5\n")
        let peer = try await server.finish()
        #expect(peer.output.hasSuffix("'hi'\n'h\u{e9}llo'\n"))
    }

    @Test func wireServePrintsEachMessageOnOneLine() async throws {
        let server = try RunningProcess.wire(["serve", "--port", "0"])
        let port = try await server.port()
        _ = try await RunningProcess.python(
            "header_peer.py",
            ["client", "\(port)", "two\nlines", "tab\there", "plain"]
        ).finish()
        let output = try await server.waitForOutput(containing: "plain\n")
        #expect(output.contains("two\\nlines\ntab\\there\nplain\n"))
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }

    @Test func multiprocessingClientTalksToWireServeWithLengthFraming() async throws {
        let server = try RunningProcess.wire(["serve", "--port", "0", "--framing", "length", "--echo"])
        let port = try await server.port()
        let client = try await RunningProcess.python("mp_peer.py", ["client", "\(port)", "one", "", "tr\u{e9}s"])
            .finish()
        #expect(client.status == 0)
        #expect(client.output == "'one'\n''\n'tr\u{e9}s'\n")
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }

    @Test func wireConnectTalksToAMultiprocessingListener() async throws {
        let listener = try RunningProcess.python("mp_peer.py", ["listener", "3"])
        let port = try await listener.port()
        let client = try await RunningProcess.wire(
            ["connect", "--port", "\(port)", "--framing", "length"],
            standardInput: "first\nsecond\nthird\n"
        ).finish()
        #expect(client.status == 0)
        #expect(client.output == "FIRST\nSECOND\nTHIRD\n")
        let peer = try await listener.finish()
        #expect(peer.output.hasSuffix("'first'\n'second'\n'third'\n"), "\(peer)")
    }
}
