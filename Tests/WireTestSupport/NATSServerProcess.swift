import Foundation
import Synchronization

/// A real nats-server (Debian's package), started by a test on a free loopback port.
///
/// `scripts/test` installs nats-server and sets WIRE_REQUIRE_NATS=1, so that CI fails with a
/// clear message rather than skipping when it is missing. Starting, stopping and restarting it
/// are awaited, never waited for: no cooperative thread is held meanwhile.
public final class NATSServerProcess: Sendable {
    public static let executable: String? = [
        "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server",
    ]
    .first { FileManager.default.isExecutableFile(atPath: $0) }
    public static let isRequired = ProcessInfo.processInfo.environment["WIRE_REQUIRE_NATS"] == "1"
    /// Whether tests that need nats-server should run: it is here, or CI requires it (and the test
    /// then fails with a message saying it is missing).
    public static let shouldRun = executable != nil || isRequired

    private struct Running {
        var child: ChildProcess
        /// What earlier runs of the server logged, before a restart.
        var earlierLog: String = ""
    }

    private let running: Mutex<Running>
    public let port: Int
    public let arguments: [String]
    /// The address it listens on: 127.0.0.1, or a namespace's address.
    public let host: String
    private let namespace: NetworkNamespace?

    /// `nats://HOST:PORT`.
    public var url: String { "nats://\(self.host):\(self.port)" }

    /// Where a JetStream server keeps its streams (the same directory across restarts).
    public let storeDirectory: String?
    /// The port other servers of a cluster connect to, when it is part of one.
    public let routePort: Int?

    /// Starts nats-server with extra `arguments` (or a `config` file's text) on a free port, on
    /// 127.0.0.1 or inside `namespace`; with `jetStream`, JetStream on, its store in a new
    /// temporary directory.
    public init(
        arguments: [String] = [],
        config: String? = nil,
        jetStream: Bool = false,
        namespace: NetworkNamespace? = nil
    ) async throws {
        guard let path = Self.executable else {
            throw NATSServerMissing()
        }
        var arguments = arguments
        if jetStream {
            let store = FileManager.default.temporaryDirectory.appendingPathComponent("wire-js-\(UUID().uuidString)")
                .path
            try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
            arguments += ["-js", "-sd", store]
            self.storeDirectory = store
        } else {
            self.storeDirectory = nil
        }
        if let config {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent(
                "wire-nats-\(UUID().uuidString).conf"
            )
            try config.write(to: file, atomically: true, encoding: .utf8)
            arguments += ["-c", file.path]
        }
        self.arguments = arguments
        self.namespace = namespace
        self.host = namespace?.address ?? "127.0.0.1"
        let (child, port) = try await Self.launch(
            path,
            arguments: ["-a", self.host, "-p", "-1"] + arguments,
            namespace: namespace
        )
        self.port = port
        self.routePort = child.errorOutput.text
            .firstMatch(of: #/Listening for route connections on [^\s]+:(\d+)/#)
            .flatMap { Int($0.output.1) }
        self.running = Mutex(Running(child: child))
    }

    /// Starts `size` servers with JetStream as one cluster (each with its own store and name, all
    /// routed to all) and waits until they have chosen a JetStream leader.
    public static func cluster(size: Int = 3) async throws -> [NATSServerProcess] {
        let name = "wire-\(UInt32.random(in: 0...UInt32.max))"
        // Route ports chosen first: a JetStream cluster wants every server to know its routes.
        // Held until just before the servers start, so that no other test takes them meanwhile.
        var held = try (0..<size).map { _ in try RefusingPort() }
        let routes = held.map { "nats://127.0.0.1:\($0.port)" }
        let ports = held.map(\.port)
        held.removeAll()
        var servers: [NATSServerProcess] = []
        for index in 0..<size {
            servers.append(
                try await NATSServerProcess(
                    arguments: [
                        "--cluster", "nats://127.0.0.1:\(ports[index])", "--cluster_name", name, "--server_name",
                        "\(name)-\(index)",
                        "--routes", routes.joined(separator: ","),
                    ],
                    jetStream: true
                )
            )
        }
        for server in servers {
            _ = await server.errorOutputContaining("metadata leader")
        }
        return servers
    }

    /// Waits until the server's log (since it last started) contains `text`; `nil` if it exits first.
    public func errorOutputContaining(_ text: String) async -> String? {
        let child = self.running.withLock { $0.child }
        return await child.errorOutput.text { $0.contains(text) }
    }

    /// Stops the server, waits for it to exit and starts it again on the same port.
    public func restart() async throws {
        guard let path = Self.executable else { throw NATSServerMissing() }
        let old = self.running.withLock { $0.child }
        self.stop()
        _ = await old.exited()
        // The port was free a moment ago; nats-server sets SO_REUSEADDR, so TIME_WAIT is no obstacle.
        let (child, _) = try await Self.launch(
            path,
            arguments: ["-a", self.host, "-p", String(self.port)] + self.arguments,
            namespace: self.namespace
        )
        self.running.withLock { running in
            running.earlierLog += running.child.errorOutput.text
            running.child = child
        }
    }

    /// Tells the server to stop (SIGTERM; a frozen one is thawed first). ``restart()`` and
    /// ``stopped()`` wait for it to be gone.
    public func stop() {
        let child = self.running.withLock { $0.child }
        child.signal(SIGCONT)
        child.terminate()
    }

    /// Stops the server and waits until it has exited.
    public func stopped() async {
        let child = self.running.withLock { $0.child }
        self.stop()
        _ = await child.exited()
    }

    /// Sends a signal (SIGSTOP to freeze it, SIGCONT to thaw it, SIGKILL, SIGUSR2 for lame-duck mode).
    public func signal(_ number: Int32) {
        self.running.withLock { $0.child }.signal(number)
    }

    /// The server's log so far (standard error), over every restart.
    public var logText: String {
        self.running.withLock { $0.earlierLog + $0.child.errorOutput.text }
    }

    private static func launch(
        _ path: String,
        arguments: [String],
        namespace: NetworkNamespace?
    ) async throws -> (ChildProcess, Int) {
        // `ip netns exec` execs nats-server in place: the process is nats-server itself.
        let child =
            if let namespace {
                try ChildProcess(NetworkNamespace.ipPath, namespace.command([path] + arguments))
            } else {
                try ChildProcess(path, arguments)
            }
        let log = await child.errorOutput.text { Self.port(in: $0) != nil }
        guard let log, let port = Self.port(in: log) else {
            throw NATSServerFailed(log: child.errorOutput.text)
        }
        return (child, port)
    }

    private static func port(in log: String) -> Int? {
        log.firstMatch(of: #/Listening for client connections on [^\s]+:(\d+)/#).flatMap { Int($0.output.1) }
    }
}

public struct NATSServerMissing: Error, CustomStringConvertible {
    public var description: String {
        "nats-server is not installed: run `bash scripts/test`, or `apt-get install nats-server`"
    }
}

public struct NATSServerFailed: Error, CustomStringConvertible {
    public let log: String
    public var description: String { "nats-server did not start: \(self.log)" }
}
