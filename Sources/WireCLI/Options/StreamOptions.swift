import ArgumentParser
import WireChat

/// How a room spread over NATS is kept: in a JetStream stream (its limits), or over core NATS.
struct StreamOptions: ParsableArguments {
    @Flag(
        help:
            "Link the nodes over core NATS only, even where the server has JetStream (nothing is kept: a node cut off loses what is said meanwhile)."
    )
    var natsCore = false

    @Option(
        help:
            "With JetStream: drop texts older than this (90s, 30m, 24h, 7d; default 24h for a new stream; an existing stream keeps its limits unless given)."
    )
    var streamMaxAge: String?

    @Option(
        help:
            "With JetStream: keep at most this many bytes of texts, the oldest going first (1GiB, 500MiB, 64KiB or a number; default 1GiB)."
    )
    var streamMaxBytes: String?

    @Option(
        help:
            "With JetStream: keep at most this many stored batches (a batch is the texts a node published in one go; default: no limit)."
    )
    var streamMaxBatches: Int?

    @Option(
        help:
            "With JetStream: copies of the room on as many NATS servers, 1 to 5 (default: 3 in a cluster of three servers or more, else 1)."
    )
    var streamReplicas: Int?

    var isSet: Bool {
        self.streamMaxAge != nil || self.streamMaxBytes != nil || self.streamMaxBatches != nil
            || self.streamReplicas != nil
    }

    /// The limits, checked; `--nats-core` with a stream limit is refused (it keeps nothing).
    func limits() throws -> ChatStreamLimits {
        if self.natsCore && self.isSet {
            throw ValidationError(
                "--nats-core keeps no stream: --stream-max-age, --stream-max-bytes, --stream-max-batches and --stream-replicas need JetStream."
            )
        }
        var limits = ChatStreamLimits()
        if let text = self.streamMaxAge {
            guard let age = Self.duration(text) else {
                throw ValidationError(
                    "--stream-max-age must be a number followed by s, m, h or d (like 24h); got \"\(text)\"."
                )
            }
            limits.maximumAge = age
        }
        if let text = self.streamMaxBytes {
            guard let bytes = Self.bytes(text), bytes > 0 else {
                throw ValidationError(
                    "--stream-max-bytes must be a positive size (1GiB, 500MiB, 64KiB or a number of bytes); got \"\(text)\"."
                )
            }
            limits.maximumBytes = bytes
        }
        if let batches = self.streamMaxBatches {
            guard batches > 0 else { throw ValidationError("--stream-max-batches must be positive; got \(batches).") }
            limits.maximumMessages = batches
        }
        if let replicas = self.streamReplicas {
            guard (1...5).contains(replicas) else {
                throw ValidationError("--stream-replicas must be from 1 to 5; got \(replicas).")
            }
            limits.replicas = replicas
        }
        return limits
    }

    static func duration(_ text: String) -> Duration? {
        guard let unit = text.last, let value = Int64(text.dropLast()), value > 0 else { return nil }
        let seconds: Int64
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3600
        case "d": seconds = 86_400
        default: return nil
        }
        let (total, overflow) = value.multipliedReportingOverflow(by: seconds)
        return overflow ? nil : .seconds(total)
    }

    static func bytes(_ text: String) -> Int? {
        for (suffix, scale) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)]
        where text.hasSuffix(suffix) {
            guard let value = Int(text.dropLast(suffix.count)) else { return nil }
            let (total, overflow) = value.multipliedReportingOverflow(by: scale)
            return overflow ? nil : total
        }
        return Int(text)
    }
}
