public import Foundation

/// A real nats-server (Debian's package), started by a test on a free loopback port.
///
/// `scripts/test` installs nats-server and sets WIRE_REQUIRE_NATS=1, so that CI fails with a
/// clear message rather than skipping when it is missing.
public final class NATSServerProcess: @unchecked Sendable {
    // @unchecked: `process` is only replaced by `restart()`, which tests call from one task, and
    // Foundation's Process is itself safe to signal from any thread.

    public static let executable: String? = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    public static let isRequired = ProcessInfo.processInfo.environment["WIRE_REQUIRE_NATS"] == "1"
    /// Whether tests that need nats-server should run: it is here, or CI requires it (and the test
    /// then fails with a message saying it is missing).
    public static let shouldRun = executable != nil || isRequired

    public private(set) var process: Process
    public private(set) var port: Int
    public let arguments: [String]
    /// The address it listens on: 127.0.0.1, or a namespace's address.
    public let host: String
    private let namespace: NetworkNamespace?
    /// The server's log so far (stderr).
    private let log = LogBuffer()

    /// `nats://HOST:PORT`.
    public var url: String { "nats://\(self.host):\(self.port)" }

    /// Starts nats-server with extra `arguments` (or a `config` file's text) on a free port, on
    /// 127.0.0.1 or inside `namespace`.
    public init(arguments: [String] = [], config: String? = nil, namespace: NetworkNamespace? = nil) throws {
        guard let path = Self.executable else {
            throw NATSServerMissing()
        }
        var arguments = arguments
        if let config {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("wire-nats-\(UUID().uuidString).conf")
            try config.write(to: file, atomically: true, encoding: .utf8)
            arguments += ["-c", file.path]
        }
        self.arguments = arguments
        self.namespace = namespace
        self.host = namespace?.address ?? "127.0.0.1"
        (self.process, self.port) = try Self.launch(path, arguments: ["-a", self.host, "-p", "-1"] + arguments, namespace: namespace, log: self.log)
    }

    /// Stops the server and starts it again on the same port.
    public func restart() throws {
        self.stop()
        guard let path = Self.executable else { throw NATSServerMissing() }
        // The port was free a moment ago; nats-server sets SO_REUSEADDR, so TIME_WAIT is no obstacle.
        (self.process, _) = try Self.launch(
            path,
            arguments: ["-a", self.host, "-p", String(self.port)] + self.arguments,
            namespace: self.namespace,
            log: self.log
        )
    }

    /// Stops the server and waits for it to exit.
    public func stop() {
        if self.process.isRunning {
            self.process.terminate()
        }
        self.process.waitUntilExit()
    }

    /// Sends a signal (SIGSTOP to freeze it, SIGCONT to thaw it, SIGUSR2 for lame-duck mode).
    public func signal(_ number: Int32) {
        kill(self.process.processIdentifier, number)
    }

    deinit {
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGCONT)
            self.process.terminate()
        }
    }

    private static func launch(_ path: String, arguments: [String], namespace: NetworkNamespace?, log: LogBuffer) throws -> (Process, Int) {
        let process = Process()
        if let namespace {
            // `ip netns exec` execs nats-server in place: the process is nats-server itself.
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = namespace.command([path] + arguments)
        } else {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
        }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let reader = errors.fileHandleForReading
        var text = ""
        let pattern = try Regex(#"Listening for client connections on [^\s]+:(\d+)"#)
        while true {
            let data = reader.availableData
            guard !data.isEmpty else {
                throw NATSServerFailed(log: text)
            }
            text += String(decoding: data, as: UTF8.self)
            if let match = text.firstMatch(of: pattern), let port = match.output[1].substring.flatMap({ Int($0) }) {
                log.append(text)
                // Keep draining the log, so that a chatty server never blocks on a full pipe.
                reader.readabilityHandler = { handle in
                    let data = handle.availableData
                    if data.isEmpty {
                        handle.readabilityHandler = nil
                    } else {
                        log.append(String(decoding: data, as: UTF8.self))
                    }
                }
                return (process, port)
            }
        }
    }

    public var logText: String { self.log.text }
}

final class LogBuffer: @unchecked Sendable {
    // @unchecked: every access to `value` holds `lock`.
    private let lock = NSLock()
    private var value = ""
    func append(_ text: String) { self.lock.withLock { self.value += text } }
    var text: String { self.lock.withLock { self.value } }
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
