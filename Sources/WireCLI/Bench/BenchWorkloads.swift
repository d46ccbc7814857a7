import Histogram
import NIOCore
import Wire

/// The benchmark clients behind `wire bench`, through Wire's public API: what a user of the
/// library would write to send, echo or hold connections.
struct BenchWorkloads: Sendable {
    let host: String
    let port: Int
    let configuration: ClientConfiguration
    /// Payload bytes per message.
    let size: Int
    /// Parallel connections for sink and echo.
    let connections: Int
    let progress: Progress

    func shares(of total: Int) -> [Int] {
        (0..<self.connections).map { index in
            total / self.connections + (index < total % self.connections ? 1 : 0)
        }
    }

    /// Each connection sends its share of `count` messages, half-closes, and checks the count the
    /// server replies with (`wire serve --sink`).
    func sink(count total: Int) async throws -> BenchReport {
        let (configuration, progress) = (self.configuration, self.progress)
        let payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: self.size)
        let (host, port) = (self.host, self.port)
        progress.start(label: "sink", total: total)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for share in self.shares(of: total) where share > 0 {
                group.addTask {
                    try await WireClient.withConnection(host: host, port: port, configuration: configuration) {
                        connection in
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
                            throw BenchError(
                                "the server counted \(String(buffer: reply).debugDescription) messages; \(share) were sent"
                            )
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - start).seconds
        return BenchReport(
            workload: "sink",
            framing: configuration.framing,
            size: self.size,
            count: total,
            connections: self.connections,
            figures: [
                ("seconds", seconds, "s"),
                ("messages_per_second", Double(total) / seconds, "msg/s"),
                ("megabytes_per_second", Double(total) * Double(self.size) / seconds / 1e6, "MB/s"),
            ]
        )
    }

    /// Each connection sends one message, waits for its echo, and repeats: `warmup` untimed round
    /// trips, then its share of `count` timed ones (`wire serve --echo`).
    func echo(count total: Int, warmup: Int) async throws -> BenchReport {
        let (configuration, progress) = (self.configuration, self.progress)
        let payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: self.size)
        let (host, port) = (self.host, self.port)
        progress.start(label: "echo", total: total)
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: Histogram<UInt64>.self) { group in
            for share in self.shares(of: total) where share > 0 {
                group.addTask {
                    try await WireClient.withConnection(host: host, port: port, configuration: configuration) {
                        connection in
                        var replies = connection.messages.makeAsyncIterator()
                        // Nanoseconds, up to a minute, to 3 significant digits.
                        var latencies = Histogram<UInt64>(
                            highestTrackableValue: 60_000_000_000,
                            numberOfSignificantValueDigits: .three
                        )
                        let clock = ContinuousClock()
                        for round in 0..<(warmup + share) {
                            let sent = clock.now
                            try await connection.send(payload)
                            guard let echo = try await replies.next() else {
                                throw BenchError("the server closed after \(round) round trips")
                            }
                            guard echo.readableBytes == payload.readableBytes else {
                                throw BenchError(
                                    "an echo of \(echo.readableBytes) bytes came back for \(payload.readableBytes)"
                                )
                            }
                            if round >= warmup {
                                // A round trip over a minute is recorded as a minute.
                                _ = latencies.record(
                                    UInt64(clamping: min((clock.now - sent).nanoseconds, 60_000_000_000))
                                )
                                if (round - warmup) & 255 == 255 { progress.add(256) }
                            }
                        }
                        return latencies
                    }
                }
            }
            var all = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
            for try await latencies in group { all.add(latencies) }
            return all
        }
        let seconds = (ContinuousClock.now - start).seconds
        func microseconds(_ percentile: Double) -> Double { Double(latencies.valueAtPercentile(percentile)) / 1000 }
        return BenchReport(
            workload: "echo",
            framing: configuration.framing,
            size: self.size,
            count: total,
            connections: self.connections,
            figures: [
                ("mean_us", latencies.mean / 1000, "µs"), ("p50_us", microseconds(50), "µs"),
                ("p99_us", microseconds(99), "µs"),
                ("round_trips_per_second", Double(total) / seconds, "round trips/s"),
            ]
        )
    }

    /// Opens `count` connections, `concurrency` at a time, exchanges one 16-byte message on each
    /// (`wire serve --echo`), and holds them all open for `hold` seconds; with `serverPid`, reports
    /// the server's resident memory per connection.
    func idleConnections(
        count total: Int,
        concurrency: Int,
        hold: Double,
        serverPid: Int32?
    ) async throws -> BenchReport {
        let (configuration, progress) = (self.configuration, self.progress)
        let (host, port) = (self.host, self.port)
        let before = serverPid.flatMap(residentBytes(pid:))
        let ready = Countdown(total)
        let release = ReleaseSignal()
        progress.start(label: "connections", total: total)
        let start = ContinuousClock.now
        let measured: (seconds: Double, rss: Int?) = try await withThrowingTaskGroup(of: Void.self) { group in
            // Attempts in flight: a connection gives its slot back once it is set up (or failed).
            let (slots, giveBack) = AsyncStream.makeStream(of: Void.self)
            for _ in 0..<concurrency { giveBack.yield() }
            var freeSlots = slots.makeAsyncIterator()
            for _ in 0..<total {
                await freeSlots.next()
                group.addTask {
                    // Every connection arrives, failed or not, so the wait below always ends.
                    var arrived = false
                    defer {
                        if !arrived {
                            giveBack.yield()
                            ready.arrive()
                        }
                    }
                    try await WireClient.withConnection(host: host, port: port, configuration: configuration) {
                        connection in
                        try await connection.send("0123456789abcdef")
                        var replies = connection.messages.makeAsyncIterator()
                        guard try await replies.next() != nil else {
                            throw BenchError("the server closed a connection before echoing")
                        }
                        arrived = true
                        giveBack.yield()
                        progress.add(1)
                        ready.arrive()
                        await release.wait()
                    }
                }
            }
            await ready.wait()
            let seconds = (ContinuousClock.now - start).seconds
            let rss = serverPid.flatMap(residentBytes(pid:))
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
            workload: "connections",
            framing: configuration.framing,
            size: 16,
            count: total,
            connections: total,
            figures: figures
        )
    }
}
