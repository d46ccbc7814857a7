import Logging
import Synchronization
import WireNATS

/// The room's stream: made or updated with the limits a node is given, and described on its
/// status line.
extension ChatStreamLink {
    /// Prepares the stream, trying again while JetStream is not ready (a cluster without a leader
    /// yet, a server restarting); a configuration the server refuses ends it with its sentence.
    func prepareStreamUntilReady() async throws {
        var wait = Duration.milliseconds(100)
        var attempts = 0
        while true {
            do {
                try await self.prepareStream()
                return
            } catch let error as JetStreamError where Self.isConfigurationError(error) {
                throw error
            } catch {
                attempts += 1
                if attempts == 1 || attempts % 10 == 0 {
                    self.logger.warning(
                        "the room's stream is not ready yet; trying again",
                        metadata: ["error": "\(error)"]
                    )
                }
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(2))
            }
        }
    }

    /// Refusals that trying again will not change: limits or replicas the server cannot have.
    static func isConfigurationError(_ error: JetStreamError) -> Bool {
        [10052, 10005, 10074, 10065].contains(error.apiErrorCode ?? 0)
    }

    /// Makes or updates the stream, says so, and starts reading it after its last message (the
    /// room's history is read from the end).
    func prepareStream() async throws {
        let limits = self.configuration.stream
        let name = self.configuration.streamName
        var info = try await self.jetStream.streamInfo(name)
        if info == nil || limits.isSet {
            let known =
                Set(self.configuration.client.servers.map(\.description)).count
                + ((await self.client.serverInfo)?.connectURLs.count ?? 0)
            let existing = info?.configuration
            let configuration = JetStreamStreamConfiguration(
                name: name,
                subjects: ["\(self.prefix).stream.>"],
                storage: .file,
                maximumAge: limits.maximumAge ?? existing?.maximumAge ?? ChatStreamLimits.defaultMaximumAge,
                maximumBytes: limits.maximumBytes ?? existing?.maximumBytes ?? ChatStreamLimits.defaultMaximumBytes,
                maximumMessages: limits.maximumMessages ?? existing?.maximumMessages,
                replicas: limits.replicas ?? existing?.replicas ?? (known >= 3 ? 3 : 1),
                duplicateWindow: .seconds(120)
            )
            do {
                info = try await self.jetStream.createOrUpdateStream(configuration)
            } catch let error as JetStreamError
                where limits.replicas == nil && existing == nil && configuration.replicas > 1
                && [10005, 10074].contains(error.apiErrorCode ?? 0)
            {
                // Three servers known, but not three JetStream peers: one copy, said so.
                self.logger.warning(
                    "the NATS servers cannot hold three copies of the room; keeping one",
                    metadata: ["error": "\(error)"]
                )
                var single = configuration
                single.replicas = 1
                info = try await self.jetStream.createOrUpdateStream(single)
            }
        }
        guard let info else { return }
        self.onEvent(.roomStream(description: Self.describe(info)))
        try await self.rememberHistory(upTo: info.state)
        let consumer = try await self.jetStream.orderedConsumer(
            stream: name,
            from: .sequence(info.state.lastSequence + 1),
            heartbeat: .seconds(1)
        )
        self.consumer.withLock { $0 = consumer }
    }

    static func describe(_ info: JetStreamStreamInfo) -> String {
        let configuration = info.configuration
        var limits: [String] = []
        if let age = configuration.maximumAge { limits.append(Self.describe(age)) }
        if let bytes = configuration.maximumBytes { limits.append(Self.describe(bytes: bytes)) }
        if let messages = configuration.maximumMessages { limits.append("\(messages) batches") }
        let copies = configuration.replicas == 1 ? "1 copy" : "\(configuration.replicas) copies"
        let stored = info.state.messages == 1 ? "1 batch stored" : "\(info.state.messages) batches stored"
        return
            "JetStream stream \(configuration.name) (\(configuration.storage.rawValue), \(copies), texts kept \(limits.joined(separator: " / ")); \(stored))"
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if seconds >= 2 * 86_400 && seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    static func describe(bytes: Int) -> String {
        for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes >= size && bytes % size == 0 {
            return "\(bytes / size) \(unit)"
        }
        return "\(bytes) bytes"
    }
}
