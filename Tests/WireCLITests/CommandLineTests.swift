import Foundation
import Testing
import WireTestSupport

/// The `wire` binary's behaviour as a user sees it: exit status, output and error lines.
@Suite(.timeLimit(.minutes(2)))
struct CommandLineTests {
    @Test func echoesStandardInputLineByLineInEveryFraming() async throws {
        for framing in ["header", "length", "lines"] {
            let server = try RunningProcess.wire(["serve", "--port", "0", "--framing", framing, "--echo"])
            let port = try await server.port()
            let lines = (1...2000).map { "line \($0)" }
            let client = try await RunningProcess.wire(
                ["connect", "--port", "\(port)", "--framing", framing, "--send", "first"],
                standardInput: lines.joined(separator: "\n") + "\n"
            ).finish()
            #expect(client.status == 0, "\(framing): \(client.error)")
            #expect(client.output == (["first"] + lines).map { $0 + "\n" }.joined(), "\(framing)")
            server.interrupt()
            #expect(try await server.finish().status == 0)
        }
    }

    @Test func saysWhenTheConnectionIsRefused() async throws {
        let refusing = try RefusingPort()
        let port = refusing.port
        let client = try await RunningProcess.wire(["connect", "--port", "\(port)"]).finish()
        #expect(client.status != 0)
        #expect(client.error == "Error: connection to 127.0.0.1:\(port) refused: nothing is listening there\n")
    }

    @Test func saysWhatWasWrongWithAServersHeader() async throws {
        let server = try RunningProcess.python("header_peer.py", ["badserver", "12a       hello"])
        let port = try await server.port()
        let client = try await RunningProcess.wire(["connect", "--port", "\(port)"]).finish()
        #expect(client.status != 0)
        #expect(client.error == "Error: invalid header \"12a       \": expected a decimal length\n")
    }

    @Test func refusesBadFlagsWithOneClearLine() async throws {
        let result = try await RunningProcess.wire(["serve", "--length-bytes", "3"]).finish()
        #expect(result.status != 0)
        #expect(result.error.contains("--length-bytes must be 1, 2, 4 or 8, got 3."))
        let framing = try await RunningProcess.wire(["connect", "--framing", "xml"]).finish()
        #expect(framing.status != 0)
        #expect(framing.error.contains("xml"))
    }

    @Test func refusesAGreetingTheHeaderCannotCarry() async throws {
        let result = try await RunningProcess.wire(
            ["serve", "--port", "0", "--header-width", "1", "--greeting", "more than nine bytes"]
        ).finish()
        #expect(result.status != 0)
        #expect(result.error.contains("message of 20 bytes does not fit a 1-byte length header"))
    }

    @Test(arguments: [["--help"], ["serve", "--help"], ["connect", "--help"]])
    func helpShowsAnExample(arguments: [String]) async throws {
        let result = try await RunningProcess.wire(arguments).finish()
        #expect(result.status == 0)
        #expect(result.output.contains("Example"))
        #expect(result.output.contains("wire "))
    }

    @Test func serveReportsEveryConnectionAndItsEnd() async throws {
        let server = try RunningProcess.wire(["serve", "--port", "0", "--framing", "lines"])
        let port = try await server.port()
        let client = try await RunningProcess.wire(
            ["connect", "--port", "\(port)", "--framing", "lines", "--send", "hello"]
        ).finish()
        #expect(client.status == 0)
        let output = try await server.waitForOutput(containing: " closed.")
        let expected = try Regex(
            #"Connection from 127\.0\.0\.1:\d+ has been established\.\nhello\nConnection from 127\.0\.0\.1:\d+ closed\.\n"#
        )
        #expect(output.contains(expected))
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }
}

/// `wire serve` and `wire connect` over TLS.
@Suite(.timeLimit(.minutes(2)))
struct CommandLineTLSTests {
    @Test func servesAndConnectsOverTLS() async throws {
        let certificates = try await TestCertificates.make()
        let server = try RunningProcess.wire([
            "serve", "--port", "0", "--echo", "--tls-cert", certificates.certificate, "--tls-key", certificates.key,
        ])
        let port = try await server.port()
        let client = try await RunningProcess.wire(
            [
                "connect", "--port", "\(port)", "--tls-ca", certificates.authority, "--tls-server-name", "localhost",
                "--send", "over TLS",
            ],
            standardInput: "and a line\n"
        ).finish()
        #expect(client.status == 0, "\(client.error)")
        #expect(client.output == "over TLS\nand a line\n")

        let untrusted = try await RunningProcess.wire(
            [
                "connect", "--port", "\(port)", "--tls-ca", certificates.otherAuthority, "--tls-server-name",
                "localhost", "--send", "x",
            ]
        ).finish()
        #expect(untrusted.status != 0)
        #expect(
            untrusted.error == "Error: TLS handshake with 127.0.0.1:\(port) failed: its certificate is not trusted\n"
        )
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }

    @Test func saysWhichCertificateFileIsMissing() async throws {
        let result = try await RunningProcess.wire(
            ["serve", "--port", "0", "--tls-cert", "/no/such/cert.pem", "--tls-key", "/no/such/key.pem"]
        ).finish()
        #expect(result.status != 0)
        #expect(result.error == "Error: cannot set up TLS: cannot read a PEM certificate from /no/such/cert.pem\n")
    }
}
