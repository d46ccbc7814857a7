import Foundation
import Testing

/// The sockets tutorial's part 3, a pickled dict behind the 10-byte header, with `wire` on either side.
@Suite(.timeLimit(.minutes(2)))
struct PickleInteropTests {
    @Test(arguments: [2, 3, 4, 5])
    func wireConnectPrintsWhatTheTutorialsServerPickled(protocolVersion: Int) async throws {
        let server = try RunningProcess.python("tutorial_pickle.py", ["server", "\(protocolVersion)"])
        let port = try await server.port()
        let client = try await RunningProcess.wire(["connect", "-p", "\(port)", "--decode", "pickle"]).finish()
        #expect(client.status == 0, "\(client.error)")
        #expect(client.output == "{1: 'hi', 2: 'there'}\n")
        _ = try await server.finish()
    }

    @Test(arguments: [2, 3, 4, 5])
    func theTutorialsClientUnpicklesWhatWireServeSends(protocolVersion: Int) async throws {
        let server = try RunningProcess.wire([
            "serve", "0", "--encode", "pickle", "--pickle-protocol", "\(protocolVersion)",
            "--greeting", "{1: 'hi', 2: 'there'}", "--close-after-greeting",
        ])
        let port = try await server.port()
        let client = try await RunningProcess.python("tutorial_pickle.py", ["client", "\(port)"]).finish()
        #expect(client.output == "{1: 'hi', 2: 'there'}\n", "\(client.error)")
        server.interrupt()
        _ = try await server.finish()
    }

    @Test func aPickleThatWouldRunCodeIsRefusedAndNothingRuns() async throws {
        let marker = "/tmp/wire-pickle-pwned"
        try? FileManager.default.removeItem(atPath: marker)
        let server = try RunningProcess.python("tutorial_pickle.py", ["server", "4", "evil"])
        let port = try await server.port()
        let client = try await RunningProcess.wire(["connect", "-p", "\(port)", "--decode", "pickle"]).finish()
        #expect(client.status == 1)
        #expect(client.error == "Error: refused pickle: global posix.system is not allowed\n")
        #expect(!FileManager.default.fileExists(atPath: marker))
        _ = try await server.finish()
    }

    @Test func picklesAsJSONAndFromTheCommandLine() async throws {
        let server = try RunningProcess.wire(["serve", "0", "--echo"])
        let port = try await server.port()
        let client = try await RunningProcess.wire(
            [
                "connect", "-p", "\(port)", "--encode", "pickle", "--decode", "pickle", "--json", "--send",
                "{1: 'hi', 'tags': (True, None), 'raw': b'\\x00'}",
            ],
            standardInput: "[1.5, -2]\n"
        ).finish()
        #expect(client.status == 0, "\(client.error)")
        #expect(client.output == #"{"1":"hi","tags":[true,null],"raw":{"base64":"AA=="}}"# + "\n" + "[1.5,-2]\n")
        // Not a literal: refused before anything is sent.
        let refused = try await RunningProcess.wire([
            "connect", "-p", "\(port)", "--encode", "pickle", "--send", "[1.5, -2**0]",
        ]).finish()
        #expect(refused.status == 1)
        #expect(refused.error == "Error: invalid Python literal at character 8: expected ',' or ']'\n")
        server.interrupt()
        _ = try await server.finish()
    }
}
