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

    /// The port a server printed in "Serving metrics on http://127.0.0.1:PORT/metrics".
    static func metricsPort(_ server: RunningProcess) async throws -> Int {
        let output = try await server.waitForOutput(containing: "(health at /healthz)\n")
        let match = try #require(output.firstMatch(of: try Regex(#"http://127\.0\.0\.1:(\d+)/metrics"#)))
        return try #require(match.output[1].substring.flatMap { Int($0) })
    }

    /// GET `path` on `port` (until it answers `status`, when given): the status and the body.
    static func get(_ port: Int, _ path: String, until status: Int? = nil) async throws -> (Int?, String) {
        let result = try await RunningProcess.python(
            "http_get.py",
            ["\(port)", path] + (status.map { ["\($0)"] } ?? [])
        ).finish()
        let (first, rest) = (result.output.prefix { $0 != "\n" }, result.output.drop { $0 != "\n" }.dropFirst())
        return (Int(first), String(rest))
    }

    @Test func metricsCountAKnownWorkloadExactlyAndPrometheusParsesThem() async throws {
        let server = try RunningProcess.wire([
            "chat-server", "--port", "0", "--quiet", "--max-username-bytes", "8", "--stall-timeout", "1",
            "--metrics-port", "0",
        ])
        let metricsPort = try await Self.metricsPort(server)
        let port = try await server.port()
        let driver = try await RunningProcess.python("metrics_scrape.py", ["\(port)", "\(metricsPort)"]).finish()
        #expect(driver.output.hasSuffix("ok\n"), "\(driver.output)\(driver.error)")
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }

    @Test func theWebPortServesMetricsAndHealthAndServeHasThemToo() async throws {
        let chat = try RunningProcess.wire(["chat-server", "--port", "0", "--web-port", "0"])
        let output = try await chat.waitForOutput(containing: "(WebSocket at /chat)\n")
        let web = try #require(output.firstMatch(of: try Regex(#"http://127\.0\.0\.1:(\d+)/"#)))
        let webPort = try #require(web.output[1].substring.flatMap { Int($0) })
        try await chat.waitForOutput(containing: "framing)\n")
        #expect(try await Self.get(webPort, "/healthz") == (200, "ok\n"))
        let (status, page) = try await Self.get(webPort, "/metrics")
        #expect(status == 200)
        #expect(page.contains("wire_chat_members{transport=\"websocket\"} 0.0\n"), "\(page)")
        // The web port's connections, the one asking now included.
        #expect(page.contains("wire_connections_accepted_total{listener=\"web\"} 2\n"), "\(page)")
        #expect(page.contains("wire_connections_open{listener=\"web\"} 1.0\n"), "\(page)")
        // Nothing of NATS in a room on one node.
        #expect(!page.contains("nats"))
        chat.interrupt()
        #expect(try await chat.finish().status == 0)

        let serve = try RunningProcess.wire(["serve", "--port", "0", "--echo", "--metrics-port", "0"])
        let metricsPort = try await Self.metricsPort(serve)
        let port = try await serve.port()
        let client = try await RunningProcess.wire(["connect", "--port", "\(port)", "--send", "hello"]).finish()
        #expect(client.output == "hello\n")
        let (_, metrics) = try await Self.get(metricsPort, "/metrics")
        #expect(metrics.contains("wire_connections_accepted_total{listener=\"tcp\"} 1\n"), "\(metrics)")
        // "hello" behind the tutorial's 10-byte header, each way.
        #expect(metrics.contains("wire_received_bytes_total{listener=\"tcp\"} 15\n"), "\(metrics)")
        #expect(metrics.contains("wire_sent_bytes_total{listener=\"tcp\"} 15\n"), "\(metrics)")
        #expect(!metrics.contains("wire_chat"))
        serve.interrupt()
        #expect(try await serve.finish().status == 0)
    }
}

/// `/healthz` follows the room's link to the other nodes through a real nats-server.
@Suite(.timeLimit(.minutes(2)), .enabled(if: NATSServerProcess.shouldRun))
struct HealthTests {
    @Test func healthIs503WhileNATSIsGoneAnd200WhenItIsBack() async throws {
        let nats = try await NATSServerProcess()
        defer { nats.stop() }
        let server = try RunningProcess.wire([
            "chat-server", "--port", "0", "--nats", nats.url, "--room", "health", "--metrics-port", "0",
        ])
        let metricsPort = try await OperatorTests.metricsPort(server)
        try await server.waitForOutput(containing: "Room whole: linked to the other nodes of room health")
        #expect(try await OperatorTests.get(metricsPort, "/healthz", until: 200) == (200, "ok\n"))
        #expect(try await OperatorTests.get(metricsPort, "/metrics").1.contains("wire_chat_nats_link_up 1.0\n"))

        await nats.stopped()
        try await server.waitForOutput(containing: "Room split: NATS is out of reach")
        let (status, reason) = try await OperatorTests.get(metricsPort, "/healthz", until: 503)
        #expect(status == 503)
        #expect(reason.hasPrefix("the room is split: NATS is out of reach ("), "\(reason)")
        #expect(reason.hasSuffix(")\n") && !reason.dropLast().contains("\n"), "\(reason)")
        #expect(try await OperatorTests.get(metricsPort, "/metrics").1.contains("wire_chat_nats_link_up 0.0\n"))

        try await nats.restart()
        #expect(try await OperatorTests.get(metricsPort, "/healthz", until: 200) == (200, "ok\n"))
        let metrics = try await OperatorTests.get(metricsPort, "/metrics").1
        #expect(metrics.contains("wire_chat_nats_link_up 1.0\n"), "\(metrics)")
        #expect(metrics.contains("wire_chat_nats_reconnects_total 1\n"), "\(metrics)")
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }
}
