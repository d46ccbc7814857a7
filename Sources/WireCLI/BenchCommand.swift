#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import Foundation
import NIOCore
import Synchronization
import Wire
import WireFraming

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a sink, echo or idle-connection server through Wire's public API.",
        discussion: """
            sink: each connection sends its share of --count messages of --size bytes, half-closes, and checks the count the server replies with (wire serve --sink). Reports messages/s and MB/s of payload, from before connecting until the count arrives.

            echo: each connection sends one message, waits for its echo, and repeats; --warmup untimed round trips, then its share of --count timed ones (wire serve --echo). Reports the round trip's mean, p50 and p99 (nearest rank).

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

    @Option(help: "Messages (sink), timed round trips (echo) or connections (connections), in all (default: 1,000,000, 20,000 or 10,000).")
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
        guard self.timeout > 0, self.timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds.") }
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
        let report: BenchReport
        do {
            switch self.workload {
            case .sink:
                report = try await self.sink(configuration, progress: progress)
            case .echo:
                report = try await self.echo(configuration, progress: progress)
            case .connections:
                report = try await self.idleConnections(configuration, progress: progress)
            }
        } catch let error as ConnectionError where error.kind == .idleTimeout {
            progress.stop()
            let server = self.workload == .sink ? "wire serve --sink" : "wire serve --echo"
            throw BenchError("the server sent nothing for \(self.timeout.formattedSeconds) second\(self.timeout == 1 ? "" : "s"); is it \(server)?")
        } catch {
            progress.stop()
            throw error
        }
        progress.stop()
        Output.standardOutput.line(self.json ? report.json : report.table)
    }

    private func shares(of total: Int) -> [Int] {
        (0..<self.connections).map { index in
            total / self.connections + (index < total % self.connections ? 1 : 0)
        }
    }

    private func sink(_ configuration: ClientConfiguration, progress: Progress) async throws -> BenchReport {
        let total = self.count ?? 1_000_000
        let payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: self.size)
        let (host, port) = (self.host, self.port)
        progress.start(label: "sink", total: total)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for share in self.shares(of: total) where share > 0 {
                group.addTask {
                    try await WireClient.withConnection(host: host, port: port, configuration: configuration) { connection in
                        for sent in 1...share {
                            try await connection.send(payload)
                            if sent & 1023 == 0 { progress.add(1024) }
                        }
                        try await connection.finish()
                        var replies = connection.messages.makeAsyncIterator()
                        guard let reply = try await replies.next() else {
                            throw BenchError("the server closed without replying with its count")
                        }
                        guard Int(String(buffer: reply)) == share else {
                            throw BenchError("the server counted \(String(buffer: reply).debugDescription) messages; \(share) were sent")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - start).seconds
        return BenchReport(
            workload: "sink", framing: configuration.framing, size: self.size, count: total, connections: self.connections,
            figures: [
                ("seconds", seconds, "s"),
                ("messages_per_second", Double(total) / seconds, "msg/s"),
                ("megabytes_per_second", Double(total) * Double(self.size) / seconds / 1e6, "MB/s"),
            ]
        )
    }

    private func echo(_ configuration: ClientConfiguration, progress: Progress) async throws -> BenchReport {
        let total = self.count ?? 20_000
        let payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: self.size)
        let (host, port, warmup) = (self.host, self.port, self.warmup)
        progress.start(label: "echo", total: total)
        let start = ContinuousClock.now
        let samples = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for share in self.shares(of: total) where share > 0 {
                group.addTask {
                    try await WireClient.withConnection(host: host, port: port, configuration: configuration) { connection in
                        var replies = connection.messages.makeAsyncIterator()
                        var samples: [Int64] = []
                        samples.reserveCapacity(share)
                        let clock = ContinuousClock()
                        for round in 0..<(warmup + share) {
                            let sent = clock.now
                            try await connection.send(payload)
                            guard let echo = try await replies.next() else {
                                throw BenchError("the server closed after \(round) round trips")
                            }
                            guard echo.readableBytes == payload.readableBytes else {
                                throw BenchError("an echo of \(echo.readableBytes) bytes came back for \(payload.readableBytes)")
                            }
                            if round >= warmup {
                                samples.append((clock.now - sent).nanoseconds)
                                if samples.count & 255 == 0 { progress.add(256) }
                            }
                        }
                        return samples
                    }
                }
            }
            var all: [Int64] = []
            for try await samples in group { all += samples }
            return all
        }
        let seconds = (ContinuousClock.now - start).seconds
        let sorted = samples.sorted()
        func percentile(_ p: Double) -> Double {
            let rank = max(1, Int((p / 100 * Double(sorted.count)).rounded(.up)))
            return Double(sorted[min(rank, sorted.count) - 1]) / 1000
        }
        let mean = Double(sorted.reduce(0, +)) / Double(max(sorted.count, 1)) / 1000
        return BenchReport(
            workload: "echo", framing: configuration.framing, size: self.size, count: total, connections: self.connections,
            figures: [
                ("mean_us", mean, "µs"), ("p50_us", percentile(50), "µs"), ("p99_us", percentile(99), "µs"),
                ("round_trips_per_second", Double(total) / seconds, "round trips/s"),
            ]
        )
    }

    private func idleConnections(_ configuration: ClientConfiguration, progress: Progress) async throws -> BenchReport {
        let total = self.count ?? 10_000
        let (host, port, hold, concurrency) = (self.host, self.port, self.hold, self.concurrency)
        let before = self.serverPid.flatMap(residentBytes(pid:))
        let ready = Countdown(total)
        let release = ReleaseSignal()
        progress.start(label: "connections", total: total)
        let start = ContinuousClock.now
        let measured: (seconds: Double, rss: Int?) = try await withThrowingTaskGroup(of: Void.self) { group in
            let slots = Semaphore(concurrency)
            for _ in 0..<total {
                await slots.acquire()
                group.addTask {
                    // Every connection arrives, failed or not, so the wait below always ends.
                    var arrived = false
                    defer {
                        if !arrived {
                            slots.release()
                            ready.arrive()
                        }
                    }
                    try await WireClient.withConnection(host: host, port: port, configuration: configuration) { connection in
                        try await connection.send("0123456789abcdef")
                        var replies = connection.messages.makeAsyncIterator()
                        guard try await replies.next() != nil else {
                            throw BenchError("the server closed a connection before echoing")
                        }
                        arrived = true
                        slots.release()
                        progress.add(1)
                        ready.arrive()
                        await release.wait()
                    }
                }
            }
            await ready.wait()
            let seconds = (ContinuousClock.now - start).seconds
            let rss = self.serverPid.flatMap(residentBytes(pid:))
            if hold > 0 {
                try await Task.sleep(for: .milliseconds(Int64(hold * 1000)))
            }
            release.open()
            try await group.waitForAll()
            return (seconds, rss)
        }
        var figures: [(String, Double, String)] = [
            ("seconds_to_open", measured.seconds, "s"),
            ("connections_per_second", Double(total) / measured.seconds, "conn/s"),
        ]
        if let before, let after = measured.rss {
            figures.append(("server_rss_before_mib", Double(before) / 1_048_576, "MiB"))
            figures.append(("server_rss_after_mib", Double(after) / 1_048_576, "MiB"))
            figures.append(("server_bytes_per_connection", Double(after - before) / Double(total), "B/conn"))
        }
        return BenchReport(
            workload: "connections", framing: configuration.framing, size: 16, count: total, connections: total,
            figures: figures
        )
    }
}
