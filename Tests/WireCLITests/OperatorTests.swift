import Foundation
import Testing
import WireTestSupport

/// What an operator runs the servers with: JSON logs, certificates read again on SIGHUP, metrics
/// and health.
@Suite(.timeLimit(.minutes(2)))
struct OperatorTests {
    /// Each line of `text` as a JSON object; fails the test for a line that is not one.
    static func objects(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any], "not an object: \(line)")
        }
    }

    @Test func withLogFormatJSONEveryLineIsAnObjectOfTheSameEvents() async throws {
        let server = try RunningProcess.wire([
            "chat-server", "--port", "0", "--show-messages", "--max-username-bytes", "8", "--log-format", "json",
        ])
        let first = try #require(try Self.objects(try await server.waitForOutput(containing: "\n")).first)
        let address = try #require((first["metadata"] as? [String: String])?["address"])
        let port = try #require(address.split(separator: ":").last.flatMap { Int($0) })
        let frank = try await RunningProcess.wire(
            ["chat", "--username", "frank", "--port", "\(port)"],
            standardInput: "hello \"erin\"\n"
        ).finish()
        #expect(frank.status == 0, "\(frank.error)")
        try await server.waitForOutput(containing: "Closed connection from: frank")
        let refused = try await RunningProcess.wire(["chat", "--username", "frankenstein", "--port", "\(port)"])
            .finish()
        #expect(refused.status != 0)
        try await server.waitForOutput(containing: "Refused connection from")
        server.interrupt()
        let finished = try await server.finish()
        #expect(finished.status == 0)

        let lines = try Self.objects(finished.output)
        for line in lines {
            #expect(Set(line.keys).isSubset(of: ["time", "level", "message", "metadata"]), "\(line)")
            let time = try #require(line["time"] as? String)
            #expect(time.wholeMatch(of: try Regex(#"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"#)) != nil, "\(time)")
        }
        let messages = lines.compactMap { $0["message"] as? String }
        #expect(messages.count == 5, "\(messages)")
        #expect(messages.first == "Listening on \(address) (header(width: 10) framing)")
        let accepted = try #require(lines.first { ($0["message"] as? String)?.hasPrefix("Accepted") == true })
        #expect((accepted["metadata"] as? [String: String])?["username"] == "frank")
        #expect(accepted["level"] as? String == "info")
        #expect(messages.contains("Received message from frank: hello \"erin\""))
        let text = lines.first { ($0["message"] as? String)?.hasPrefix("Received") == true }
        #expect((text?["metadata"] as? [String: String])?["text"] == "hello \"erin\"")
        #expect(messages.contains("Closed connection from: frank"))
        let refusal = try #require(lines.last)
        #expect(refusal["level"] as? String == "warning")
        #expect((refusal["metadata"] as? [String: String])?["reason"]?.contains("8 bytes") == true, "\(refusal)")
        let stopping = try #require(try Self.objects(finished.error).last)
        #expect(stopping["message"] as? String == "shutting down")
    }

    @Test func onSIGHUPNewConnectionsGetTheNewCertificateAndOpenOnesGoOn() async throws {
        let (first, second) = (try await TestCertificates.make(), try await TestCertificates.make())
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wire-reload-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (cert, key) = (
            directory.appendingPathComponent("cert.pem").path, directory.appendingPathComponent("key.pem").path
        )
        func install(_ certificates: TestCertificates) throws {
            for (from, to) in [(certificates.certificate, cert), (certificates.key, key)] {
                try? FileManager.default.removeItem(atPath: to)
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
        }
        try install(first)
        let server = try RunningProcess.wire([
            "chat-server", "--port", "0", "--show-messages", "--tls-cert", cert, "--tls-key", key,
        ])
        let port = try await server.port()
        func chat(_ name: String, trusting authority: String, input: String? = nil) throws -> RunningProcess {
            try RunningProcess.wire(
                [
                    "chat", "--username", name, "--port", "\(port)", "--tls-ca", authority, "--tls-server-name",
                    "localhost",
                ],
                standardInput: input,
                keepInputOpen: input == nil
            )
        }
        let early = try chat("early", trusting: first.authority)
        try await server.waitForOutput(containing: "username: early\n")

        try install(second)
        server.hangUp()
        try await server.waitForOutput(containing: "SIGHUP: read the TLS certificate \(cert) and key \(key) again")
        let late = try await chat("late", trusting: second.authority, input: "hello from late\n").finish()
        #expect(late.status == 0, "\(late.error)")
        let stale = try await chat("stale", trusting: first.authority, input: "x\n").finish()
        #expect(stale.status != 0)
        #expect(stale.error.contains("its certificate is not trusted"), "\(stale.error)")
        try await early.waitForOutput(containing: "late > hello from late\n")
        await early.send("still here\n")
        try await server.waitForOutput(containing: "Received message from early: still here\n")

        // A file that does not load keeps the certificate in use.
        try "not a certificate".write(toFile: cert, atomically: true, encoding: .utf8)
        server.hangUp()
        let output = try await server.waitForOutput(containing: "SIGHUP: kept")
        #expect(
            output.contains(
                "SIGHUP: kept the TLS certificate \(cert) and key \(key) as they were: cannot set up TLS: cannot read a PEM certificate from \(cert)\n"
            ),
            "\(output)"
        )
        let after = try await chat("after", trusting: second.authority, input: "and me\n").finish()
        #expect(after.status == 0, "\(after.error)")
        try await early.waitForOutput(containing: "after > and me\n")

        try early.closeInput()
        #expect(try await early.finish().status == 0)
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }
}
