import ArgumentParser
import Foundation
import NIOCore
import Synchronization
import Wire
import WireFraming

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a sink, echo or idle-connection server through Wire's public API.",
        discussion: """
            sink: each connection sends its share of --count messages of --size bytes, half-closes, and checks the count the server replies with (wire serve --sink). Reports messages/s and MB/s of payload, from before connecting until the count arrives.

            echo: each connection sends one message, waits for its echo, and repeats; --warmup untimed round trips, then its share of --count timed ones (wire serve --echo). Reports the round trip's mean, p50 and p99 (HdrHistogram, 3 significant digits).

            connections: opens --count connections, --concurrency at a time, and exchanges one 16-byte message on each (wire serve --echo); with --server-pid, reports the server's resident memory per connection.

            Examples:
              wire serve --port 9000 --framing length --sink --quiet &
              wire bench sink --port 9000 --framing length --size 64 --count 1000000
              wire bench echo --port 9001 --size 64 --count 20000 --json
            """
    )

    enum Workload: String, ExpressibleByArgument, CaseIterable {
        case sink, echo, connections
    }

    @Argument(help: "The workload: sink, echo or connections.")
    var workload: Workload

    @Option(help: "Host name or IP address of the server.")
    var host = "127.0.0.1"

    @Option(help: "Port of the server.")
    var port = 1234

    @OptionGroup var framingOptions: FramingOptions

    @OptionGroup var tlsOptions: ClientTLSOptions

    @Option(help: "Payload bytes per message.")
    var size = 64

    @Option(
        help:
            "Messages (sink), timed round trips (echo) or connections (connections), in all (default: 1,000,000, 20,000 or 10,000)."
    )
    var count: Int?

    @Option(help: "Parallel connections for sink and echo.")
    var connections = 1

    @Option(help: "Untimed round trips per connection before measuring (echo).")
    var warmup = 1000

    @Option(help: "Connection attempts in flight at once (connections).")
    var concurrency = 256

    @Option(help: "Seconds to hold the connections open after they are all set up (connections).")
    var hold: Double = 0

    @Option(help: "PID of the server, to report its resident memory per connection (connections).")
    var serverPid: Int32?

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Flag(help: "Do not print the progress line on standard error (it is shown only in a terminal anyway).")
    var noProgress = false

    @Option(help: "Give up when the server sends nothing for this many seconds.")
    var timeout: Double = 30

    func validate() throws {
        guard self.size >= 0 else { throw ValidationError("--size must not be negative.") }
        if let count = self.count, count <= 0 { throw ValidationError("--count must be positive.") }
        guard self.connections > 0 else { throw ValidationError("--connections must be positive.") }
        guard self.concurrency > 0 else { throw ValidationError("--concurrency must be positive.") }
        guard self.warmup >= 0 else { throw ValidationError("--warmup must not be negative.") }
        guard self.timeout > 0, self.timeout.isFinite else {
            throw ValidationError("--timeout must be a positive number of seconds.")
        }
    }

    func run() async throws {
        let framing = self.framingOptions.framing(rawMode: .chunks)
        let configuration = ClientConfiguration(
            framing: framing,
            maximumMessageSize: self.framingOptions.maxMessageSize,
            // A server that never answers (an echo benchmark against a sink) ends the run.
            idleTimeout: .milliseconds(Int64(self.timeout * 1000)),
            tls: try self.tlsOptions.makeTLS()
        )
        let progress = Progress(enabled: !self.noProgress && isatty(STDERR_FILENO) == 1)
        let workloads = BenchWorkloads(
            host: self.host,
            port: self.port,
            configuration: configuration,
            size: self.size,
            connections: self.connections,
            progress: progress
        )
        let report: BenchReport
        do {
            switch self.workload {
            case .sink:
                report = try await workloads.sink(count: self.count ?? 1_000_000)
            case .echo:
                report = try await workloads.echo(count: self.count ?? 20_000, warmup: self.warmup)
            case .connections:
                report = try await workloads.idleConnections(
                    count: self.count ?? 10_000,
                    concurrency: self.concurrency,
                    hold: self.hold,
                    serverPid: self.serverPid
                )
            }
        } catch let error as ConnectionError where error.kind == .idleTimeout {
            progress.stop()
            let server = self.workload == .sink ? "wire serve --sink" : "wire serve --echo"
            throw BenchError(
                "the server sent nothing for \(self.timeout.formattedSeconds) second\(self.timeout == 1 ? "" : "s"); is it \(server)?"
            )
        } catch {
            progress.stop()
            throw error
        }
        progress.stop()
        Output.standardOutput.line(self.json ? report.json : report.table)
    }
}
