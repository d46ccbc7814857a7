import Crypto
import Foundation
import Testing
import WireTestSupport

@testable import WireCLI

/// What someone used to nc, socat or websocat tries first: exact bytes both ways, addresses as
/// they type them, honest exit statuses and plain one-line errors.
@Suite(.timeLimit(.minutes(2)))
struct NetcatHabitsTests {
    /// `count` bytes of every value, from a xorshift generator with a random seed (one random
    /// number, not a system call per byte).
    static func randomBytes(_ count: Int) -> [UInt8] {
        var state = UInt64.random(in: 1...UInt64.max)
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            var index = 0
            while index < count {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                withUnsafeBytes(of: state) { word in
                    for byte in word where index < count {
                        buffer[index] = byte
                        index += 1
                    }
                }
            }
        }
        return bytes
    }

    static func digest(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    @Test func rawBytesGoThroughAnEchoServerUnchanged() async throws {
        let server = try RunningProcess.wire(["serve", "--port", "0", "--framing", "raw", "--echo"])
        let port = try await server.port()
        // Every byte value, invalid UTF-8, CRs, NULs, and no newline at the end.
        let bytes = [0xff, 0xfe, 0x80, 0x0d, 0x0a, 0x00] + Self.randomBytes(3_000_000)
        let client = try await RunningProcess.wire(
            ["connect", "127.0.0.1", "\(port)", "--framing", "raw"],
            standardInputData: bytes
        ).finish()
        #expect(client.status == 0, "\(client.error)")
        #expect(client.outputBytes.isEmpty == false)
        #expect(
            Self.digest(client.outputBytes) == Self.digest(bytes),
            "\(client.outputBytes.count) bytes came back for \(bytes.count)"
        )
        server.interrupt()
        _ = try await server.finish()
    }

    @Test func rawServeWritesWhatItReceivesAndSendsItsStandardInput() async throws {
        let upload = Self.randomBytes(1_000_000)
        let download = [0xff, 0xfe, 0x80] + Self.randomBytes(500_000)
        // Like nc -l: the server's own lines go to standard error, the bytes to standard output.
        let server = try RunningProcess.wire(["serve", "0", "--framing", "raw"], standardInputData: download)
        let port = try await server.port(onStandardError: true)
        let client = try await RunningProcess.wire(
            ["connect", "127.0.0.1:\(port)", "--framing", "raw"],
            standardInputData: upload
        ).finish()
        #expect(client.status == 0, "\(client.error)")
        #expect(Self.digest(client.outputBytes) == Self.digest(download))
        try await server.waitForErrorOutput(containing: "closed.\n")
        server.interrupt()
        let result = try await server.finish()
        #expect(Self.digest(result.outputBytes) == Self.digest(upload))
        #expect(result.error.contains("has been established."))
    }

    @Test func binaryMessagesSurviveAPipeInFramedModes() async throws {
        let server = try RunningProcess.wire(["serve", "--port", "0", "--framing", "length", "--echo"])
        let port = try await server.port()
        // Three NUL-separated records holding newlines and high bytes.
        let records: [[UInt8]] = [[0x0a, 0xff, 0x41], [0x0d, 0x0a], [0x80, 0x81, 0x0a, 0x0a]]
        let input: [UInt8] = records.flatMap { record in record + [UInt8(0)] }
        let nulls = try await RunningProcess.wire(
            ["connect", "--port", "\(port)", "--framing", "length", "-0", "--output-format", "null"],
            standardInputData: input
        ).finish()
        #expect(nulls.status == 0, "\(nulls.error)")
        #expect(nulls.outputBytes == input)
        // All of standard input as one message, printed back in its framing.
        let whole = Self.randomBytes(100_000)
        let framed = try await RunningProcess.wire(
            ["connect", "--port", "\(port)", "--framing", "length", "--stdin-message", "--output-format", "framed"],
            standardInputData: whole
        ).finish()
        #expect(framed.status == 0, "\(framed.error)")
        let length = UInt32(whole.count).bigEndian
        #expect(framed.outputBytes == withUnsafeBytes(of: length, Array.init) + whole)
        // JSON: text when it is UTF-8, base64 when it is not; control characters never raw.
        let json = try await RunningProcess.wire(
            ["connect", "--port", "\(port)", "--framing", "length", "--json", "--send", "tab\there"],
            standardInputData: [0xff, 0x0a]
        ).finish()
        #expect(json.output == #"{"bytes":8,"text":"tab\there"}"# + "\n" + #"{"base64":"/w==","bytes":1}"# + "\n")
        server.interrupt()
        _ = try await server.finish()
    }

    @Test func textOutputEscapesControlCharacters() async throws {
        let server = try RunningProcess.wire(["serve", "--port", "0", "--echo"])
        let port = try await server.port()
        let client = try await RunningProcess.wire([
            "connect", "--port", "\(port)", "--send", "two\nlines \u{1b}[31mred",
        ]).finish()
        #expect(client.output == "two\\nlines \\x1b[31mred\n")
        server.interrupt()
        _ = try await server.finish()
    }

    @Test(arguments: [
        ["127.0.0.1", "PORT"], ["127.0.0.1:PORT"], ["-p", "PORT"], ["--host", "127.0.0.1", "--port", "PORT"], ["PORT"],
    ])
    func connectTakesAddressesAsPeopleTypeThem(address: [String]) async throws {
        let server = try RunningProcess.wire(["serve", "-l", "-p", "0", "--echo"])
        let port = try await server.port()
        let arguments =
            ["connect"] + address.map { $0.replacingOccurrences(of: "PORT", with: "\(port)") } + ["--send", "hi"]
        let client = try await RunningProcess.wire(arguments).finish()
        #expect(client.status == 0, "\(arguments): \(client.error)")
        #expect(client.output == "hi\n")
        server.interrupt()
        _ = try await server.finish()
    }

    @Test func ipv6AddressesInBrackets() async throws {
        let server = try RunningProcess.wire(["serve", "[::1]:0", "--echo"])
        let port: Int
        do {
            port = try await server.port()
        } catch {
            // No IPv6 loopback on this machine: nothing to test.
            return
        }
        #expect(server.output.text.hasPrefix("Listening on [::1]:\(port) "))
        for arguments in [["[::1]:\(port)"], ["--host", "[::1]", "--port", "\(port)"], ["::1", "\(port)"]] {
            let client = try await RunningProcess.wire(["connect"] + arguments + ["--send", "v6"]).finish()
            #expect(client.output == "v6\n", "\(arguments): \(client.error)")
        }
        server.interrupt()
        _ = try await server.finish()
    }

    @Test func versionEverywhere() async throws {
        for arguments in [["-V"], ["--version"], ["serve", "-V"], ["connect", "--version"], ["chat", "-V"]] {
            let result = try await RunningProcess.wire(arguments).finish()
            #expect(result.status == 0)
            #expect(result.output.hasPrefix("wire "), "\(arguments)")
        }
    }

    @Test(arguments: [
        (["connect", "--port", "-1"], #"The port must be a number from 1 to 65535; got "-1"."#),
        (["serve", "70000"], #"The port must be a number from 0 to 65535; got "70000"."#),
        (["connect", "a", "b", "c"], "Give the address as HOST PORT or HOST:PORT; got 3 words: a b c."),
        (
            ["serve", "--framing", "raw", "--heartbeat", "1"],
            "--heartbeat needs a framing with empty messages; --framing raw has none."
        ),
        (
            ["connect", "--framing", "raw", "-0"],
            "--framing raw sends standard input as a byte stream; -0 and --stdin-message need a framing with messages."
        ),
        (["connect", "127.0.0.1:1", "--port", "2"], "The port is given twice: 1 and --port 2."),
    ])
    func usageErrorsExitTwoWithOneSentence(arguments: [String], sentence: String) async throws {
        let result = try await RunningProcess.wire(arguments).finish()
        #expect(result.status == 2)
        #expect(result.error.hasPrefix("Error: \(sentence)\n"), "\(result.error)")
    }

    @Test func aClientDroppedForBreakingTheFramingSaysSo() async throws {
        let server = try RunningProcess.wire(["serve", "0", "--max-message-size", "10"])
        let port = try await server.port()
        let client = try await RunningProcess.wire(["connect", "-p", "\(port)", "--send", "this is far too long"])
            .finish()
        #expect(client.status == 1)
        #expect(client.error == "Error: connection reset by 127.0.0.1:\(port)\n")
        try await server.waitForOutput(containing: "closed: declared length 20 exceeds the limit of 10 bytes\n")
        server.interrupt()
        _ = try await server.finish()

        let chatServer = try RunningProcess.wire(["chat-server", "0", "--max-message-size", "10"])
        let chatPort = try await chatServer.port()
        // The tutorial's protocol: Wire's hello alone is more than 10 bytes.
        let chat = try RunningProcess.wire(
            ["chat", "-p", "\(chatPort)", "--username", "al", "--plain"],
            keepInputOpen: true
        )
        try await chatServer.waitForOutput(containing: "username: al\n")
        await chat.send("this is far too long\n")
        let result = try await chat.finish()
        #expect(result.status == 1)
        #expect(
            result.error
                == "Error: the server closed the connection: declared length 20 exceeds the limit of 10 bytes\n"
        )
        chatServer.interrupt()
        _ = try await chatServer.finish()
    }

    @Test func benchGivesUpOnAServerThatDoesNotAnswer() async throws {
        let server = try RunningProcess.wire(["serve", "0", "--sink", "--quiet"])
        let port = try await server.port()
        let bench = try await RunningProcess.wire([
            "bench", "echo", "--port", "\(port)", "--timeout", "1", "--count", "10",
        ]).finish()
        #expect(bench.status == 1)
        #expect(bench.error == "Error: the server sent nothing for 1 second; is it wire serve --echo?\n")
        server.interrupt()
        _ = try await server.finish()
    }

    @Test func runtimeErrorsExitOne() async throws {
        // Bound and not listening: unlike a stopped server's port, no parallel test can take it.
        let refusing = try RefusingPort()
        let port = refusing.port
        let refused = try await RunningProcess.wire(["connect", "--port", "\(port)"]).finish()
        #expect(refused.status == 1)
        #expect(refused.error == "Error: connection to 127.0.0.1:\(port) refused: nothing is listening there\n")
        withExtendedLifetime(refusing) {}
    }
}
