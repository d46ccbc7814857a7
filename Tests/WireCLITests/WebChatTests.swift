import Foundation
import Testing
import WireTestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Browsers in the room: the chat page over HTTP and WebSocket members beside tutorial TCP clients.
@Suite(.timeLimit(.minutes(2)))
struct WebChatTests {
    static func startServer(
        _ flags: [String] = ["--max-message-size", "65536"]
    ) async throws -> (server: RunningProcess, tcpPort: Int, webPort: Int) {
        let server = try RunningProcess.wire(["chat-server", "0", "--web-port", "0"] + flags)
        // The two listeners start together: their lines come in either order.
        try await server.waitForOutput(containing: "(WebSocket at /chat)\n")
        let output = try await server.waitForOutput(containing: "framing)\n")
        let tcp = try #require(output.firstMatch(of: try Regex(#"Listening on 127\.0\.0\.1:(\d+) "#)))
        let tcpPort = try #require(tcp.output[1].substring.flatMap { Int($0) })
        let web = try #require(output.firstMatch(of: try Regex(#"http://127\.0\.0\.1:(\d+)/"#)))
        let webPort = try #require(web.output[1].substring.flatMap { Int($0) })
        return (server, tcpPort, webPort)
    }

    @Test func aWebSocketMemberAndATutorialClientTalkBothWays() async throws {
        let (server, tcpPort, webPort) = try await Self.startServer()
        let driver = try await RunningProcess.python("ws_chat.py", ["\(tcpPort)", "\(webPort)"]).finish()
        #expect(driver.output.hasSuffix("ok\n"), "\(driver.output)\(driver.error)")
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }

    @Test func aBrowserThatSaysQuitGetsItsRecordsAndThenTheCloseFrameLast() async throws {
        let (server, tcpPort, webPort) = try await Self.startServer()
        let driver = try await RunningProcess.python("ws_quit.py", ["\(tcpPort)", "\(webPort)"]).finish()
        #expect(driver.output.hasSuffix("ok\n"), "\(driver.output)\(driver.error)")
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }

    /// A browser in the room that goes with a reset (killed, or its network gone) just left: the
    /// others see it leave, and the server reports it closed, not failed.
    @Test func aBrowserThatResetsItsConnectionHasLeftAndHasNotFailed() async throws {
        let (server, _, webPort) = try await Self.startServer()
        let driver = try await RunningProcess.python("ws_reset.py", ["\(webPort)"]).finish()
        #expect(driver.output.hasSuffix("ok\n"), "\(driver.output)\(driver.error)")
        try await server.waitForOutput(containing: "Closed connection from: goes")
        server.interrupt()
        let finished = try await server.finish()
        #expect(!(finished.output + finished.error).contains("failed"), "\(finished.output)\(finished.error)")
    }

    @Test func withTheServersCertificateBrowsersJoinOverTLS() async throws {
        let certificates = try await TestCertificates.make()
        let server = try RunningProcess.wire([
            "chat-server", "0", "--web-port", "0", "--tls-cert", certificates.certificate, "--tls-key",
            certificates.key,
        ])
        let output = try await server.waitForOutput(containing: "(WebSocket at /chat)\n")
        let web = try #require(output.firstMatch(of: try Regex(#"https://127\.0\.0\.1:(\d+)/"#)))
        let webPort = try #require(web.output[1].substring.flatMap { Int($0) })
        let who = try await RunningProcess.python("wss_who.py", ["\(webPort)", certificates.authority]).finish()
        #expect(who.output == "online: secure\n", "\(who.error)")
        server.interrupt()
        _ = try await server.finish()
    }

    @Test func browsersAreClosedWithoutAUsernameOrWhenIdleAsTCPClientsAre() async throws {
        let server = try RunningProcess.wire([
            "chat-server", "0", "--web-port", "0", "--username-timeout", "1", "--idle-timeout", "4",
        ])
        let output = try await server.waitForOutput(containing: "(WebSocket at /chat)\n")
        let web = try #require(output.firstMatch(of: try Regex(#"http://127\.0\.0\.1:(\d+)/"#)))
        let webPort = try #require(web.output[1].substring.flatMap { Int($0) })
        let driver = try await RunningProcess.python("ws_timeouts.py", ["\(webPort)"]).finish()
        #expect(driver.output.hasSuffix("ok\n"), "\(driver.output)\(driver.error)")
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }

    @Test func withHeartbeatsABrowserThatAnswersStaysAndOneThatDoesNotIsClosed() async throws {
        let server = try RunningProcess.wire([
            "chat-server", "0", "--web-port", "0", "--heartbeat", "1", "--idle-timeout", "3",
        ])
        let output = try await server.waitForOutput(containing: "(WebSocket at /chat)\n")
        let web = try #require(output.firstMatch(of: try Regex(#"http://127\.0\.0\.1:(\d+)/"#)))
        let webPort = try #require(web.output[1].substring.flatMap { Int($0) })
        let driver = try await RunningProcess.python("ws_heartbeat.py", ["\(webPort)"]).finish()
        #expect(driver.output.hasSuffix("ok\n"), "\(driver.output)\(driver.error)")
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }

    @Test func theWebPortServesAtMostMaxConnectionsAtOnce() async throws {
        let server = try RunningProcess.wire(["chat-server", "0", "--web-port", "0", "--max-connections", "2"])
        let output = try await server.waitForOutput(containing: "(WebSocket at /chat)\n")
        let web = try #require(output.firstMatch(of: try Regex(#"http://127\.0\.0\.1:(\d+)/"#)))
        let webPort = try #require(web.output[1].substring.flatMap { Int($0) })
        let driver = try await RunningProcess.python("ws_limit.py", ["\(webPort)"]).finish()
        #expect(driver.output.hasSuffix("ok\n"), "\(driver.output)\(driver.error)")
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }

    @Test func aGracefulShutdownClosesTheWebPortAtOnceAsItClosesTheTCPPort() async throws {
        let (server, tcpPort, webPort) = try await Self.startServer(["--shutdown-grace", "30"])
        // A connection on the TCP port that says nothing keeps its grace period (30 s) ...
        let driver = try RunningProcess(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", "-u", RunningProcess.pythonDirectory.appendingPathComponent("shutdown_web.py").path]
                + ["\(tcpPort)", "\(webPort)"],
            keepInputOpen: true
        )
        try await driver.waitForOutput(containing: "held\n")
        server.interrupt()
        try await server.waitForErrorOutput(containing: "shutting down")
        // ... while the web port, like the TCP port, takes no new connection from the first signal.
        await driver.send("go\n")
        let result = try await driver.finish()
        #expect(result.output.hasSuffix("ok\n"), "\(result.output)\(result.error)")
        #expect(try await server.finish().status == 0)
    }

    @Test func thePageIsServedAtTheRootAndNothingElse() async throws {
        let (server, _, webPort) = try await Self.startServer()
        let (page, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(webPort)/")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let html = String(decoding: page, as: UTF8.self)
        #expect(html.contains("<title>Wire chat</title>"))
        #expect(html.contains("new WebSocket("), "the page joins over WebSocket")
        #expect(!html.contains("http://") && !html.contains("https://"), "no external assets")
        let (_, missing) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(webPort)/nope")!)
        #expect((missing as? HTTPURLResponse)?.statusCode == 404)
        let (_, plain) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(webPort)/chat")!)
        #expect((plain as? HTTPURLResponse)?.statusCode == 400, "/chat without an upgrade")
        server.interrupt()
        _ = try await server.finish()
    }
}

/// The chat page in a real browser: headless Chromium, driven over its DevTools protocol.
@Suite(.timeLimit(.minutes(3)))
struct BrowserTests {
    /// Chromium, if this machine has it; `scripts/test` installs it and sets WIRE_REQUIRE_BROWSER,
    /// so that CI fails rather than skips when it is missing.
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    static let required = ProcessInfo.processInfo.environment["WIRE_REQUIRE_BROWSER"] == "1"

    @Test(.enabled(if: BrowserTests.chromium != nil || BrowserTests.required))
    func aBrowserAndTheTutorialClientTalkInOneRoom() async throws {
        let chromium = try #require(Self.chromium, "Chromium is not installed")
        let (server, tcpPort, webPort) = try await WebChatTests.startServer()
        let screenshot = FileManager.default.temporaryDirectory.appendingPathComponent("wire-chat-page-\(getpid()).png")
        let driver = try await RunningProcess.python(
            "browser_chat.py",
            [chromium, "\(tcpPort)", "\(webPort)", screenshot.path]
        ).finish(timeout: .seconds(150))
        #expect(driver.output.hasSuffix("ok\n"), "\(driver.output)\(driver.error)")
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG screenshot of the page")
        try? FileManager.default.removeItem(at: screenshot)
        server.interrupt()
        _ = try await server.finish()
    }

    @Test(.enabled(if: BrowserTests.chromium != nil || BrowserTests.required))
    func aBrowserThatLosesItsConnectionComesBackAndShowsWhatItMissed() async throws {
        let chromium = try #require(Self.chromium, "Chromium is not installed")
        let (server, tcpPort, webPort) = try await WebChatTests.startServer()
        let driver = try await RunningProcess.python(
            "browser_resume.py",
            [chromium, "\(tcpPort)", "\(webPort)", "drop"]
        ).finish(timeout: .seconds(150))
        #expect(driver.output.hasSuffix("ok\n"), "\(driver.output)\(driver.error)")
        server.interrupt()
        _ = try await server.finish()
    }

    @Test(.enabled(if: BrowserTests.chromium != nil || BrowserTests.required))
    func aBrowserWhoseConnectionGoesSilentNoticesByItsHeartbeatsAndComesBack() async throws {
        let chromium = try #require(Self.chromium, "Chromium is not installed")
        let (server, tcpPort, webPort) = try await WebChatTests.startServer()
        let driver = try await RunningProcess.python(
            "browser_resume.py",
            [chromium, "\(tcpPort)", "\(webPort)", "silence"]
        ).finish(timeout: .seconds(150))
        #expect(driver.output.hasSuffix("ok\n"), "\(driver.output)\(driver.error)")
        let output = try await server.waitForOutput(containing: "not even a heartbeat")
        #expect(output.contains("chromium"), "\(output)")
        server.interrupt()
        _ = try await server.finish()
    }
}
