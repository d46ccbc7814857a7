import Foundation
import Testing

/// The shared-secret handshake with Python's own multiprocessing.connection (the local python3's form).
@Suite(.timeLimit(.minutes(2)))
struct AuthenticationInteropTests {
    static func secretFile(_ secret: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wire-secret-\(UUID().uuidString)")
            .path
        try (secret + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func wireConnectAuthenticatesWithAPythonListener() async throws {
        let listener = try RunningProcess.python("mp_peer.py", ["listener", "2", "--authkey=s3cret"])
        let port = try await listener.port()
        let client = try await RunningProcess.wire(
            ["connect", "--port", "\(port)", "--framing", "length", "--secret-file", try Self.secretFile("s3cret")],
            standardInput: "first\nsecond\n"
        ).finish()
        #expect(client.status == 0, "\(client.error)")
        #expect(client.output == "FIRST\nSECOND\n")
        #expect(try await listener.finish().output.hasSuffix("'first'\n'second'\n"))
    }

    @Test func aPythonClientAuthenticatesWithWireServe() async throws {
        let server = try RunningProcess.wire(
            ["serve", "--port", "0", "--framing", "length", "--echo", "--secret-file", try Self.secretFile("s3cret")]
        )
        let port = try await server.port()
        let client = try await RunningProcess.python(
            "mp_peer.py",
            ["client", "\(port)", "--authkey=s3cret", "one", "two"]
        ).finish()
        #expect(client.status == 0, "\(client.error)")
        #expect(client.output == "'one'\n'two'\n")

        let wrong = try await RunningProcess.python("mp_peer.py", ["client", "\(port)", "--authkey=guess", "one"])
            .finish()
        #expect(wrong.status != 0)
        #expect(wrong.error.contains("AuthenticationError"))
        server.interrupt()
        let stopped = try await server.finish()
        #expect(stopped.status == 0)
        #expect(stopped.error.contains("authentication with 127.0.0.1:"), "\(stopped.error)")
        #expect(stopped.error.contains("its answer to our challenge was wrong"), "\(stopped.error)")
    }
}
