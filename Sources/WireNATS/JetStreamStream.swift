/// How a JetStream stream keeps messages: which subjects it captures, where, and for how long.
///
/// Encoded as the JSON of `$JS.API.STREAM.CREATE` (durations in nanoseconds, `-1` for no limit).
public struct JetStreamStreamConfiguration: Sendable, Hashable, Codable {
    public enum Storage: String, Sendable, Hashable, Codable {
        case file, memory
    }

    /// What happens when a limit is reached: the oldest messages go (`old`), or new ones are refused.
    public enum Discard: String, Sendable, Hashable, Codable {
        case old, new
    }

    public var name: String
    public var subjects: [String]
    public var storage: Storage
    /// Messages older than this are removed; `nil` keeps them whatever their age.
    public var maximumAge: Duration?
    /// The most bytes the stream keeps; `nil` for no limit.
    public var maximumBytes: Int?
    /// The most messages the stream keeps; `nil` for no limit.
    public var maximumMessages: Int?
    public var discard: Discard
    /// Copies of the stream on as many servers of a cluster (1 to 5).
    public var replicas: Int
    /// How long a `Nats-Msg-Id` is remembered, so that a publish sent again is stored once;
    /// `nil` for the server's default (2 minutes, or `maximumAge` if shorter).
    public var duplicateWindow: Duration?

    public init(
        name: String,
        subjects: [String],
        storage: Storage = .file,
        maximumAge: Duration? = nil,
        maximumBytes: Int? = nil,
        maximumMessages: Int? = nil,
        discard: Discard = .old,
        replicas: Int = 1,
        duplicateWindow: Duration? = nil
    ) {
        self.name = name
        self.subjects = subjects
        self.storage = storage
        self.maximumAge = maximumAge
        self.maximumBytes = maximumBytes
        self.maximumMessages = maximumMessages
        self.discard = discard
        self.replicas = replicas
        self.duplicateWindow = duplicateWindow
    }

    enum CodingKeys: String, CodingKey {
        case name, subjects, storage, discard, retention
        case maximumAge = "max_age"
        case maximumBytes = "max_bytes"
        case maximumMessages = "max_msgs"
        case replicas = "num_replicas"
        case duplicateWindow = "duplicate_window"
        case allowDirect = "allow_direct"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.name, forKey: .name)
        try container.encode(self.subjects, forKey: .subjects)
        try container.encode("limits", forKey: .retention)
        try container.encode(self.storage, forKey: .storage)
        try container.encode(self.maximumAge.map(JetStreamDuration.nanoseconds) ?? 0, forKey: .maximumAge)
        try container.encode(self.maximumBytes ?? -1, forKey: .maximumBytes)
        try container.encode(self.maximumMessages ?? -1, forKey: .maximumMessages)
        try container.encode(self.discard, forKey: .discard)
        try container.encode(self.replicas, forKey: .replicas)
        try container.encode(self.duplicateWindow.map(JetStreamDuration.nanoseconds) ?? 0, forKey: .duplicateWindow)
        try container.encode(true, forKey: .allowDirect)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.name = try container.decode(String.self, forKey: .name)
        self.subjects = try container.decodeIfPresent([String].self, forKey: .subjects) ?? []
        self.storage = try container.decodeIfPresent(Storage.self, forKey: .storage) ?? .file
        let age = try container.decodeIfPresent(Int64.self, forKey: .maximumAge) ?? 0
        self.maximumAge = age > 0 ? .nanoseconds(age) : nil
        let bytes = try container.decodeIfPresent(Int.self, forKey: .maximumBytes) ?? -1
        self.maximumBytes = bytes >= 0 ? bytes : nil
        let messages = try container.decodeIfPresent(Int.self, forKey: .maximumMessages) ?? -1
        self.maximumMessages = messages >= 0 ? messages : nil
        self.discard = try container.decodeIfPresent(Discard.self, forKey: .discard) ?? .old
        self.replicas = try container.decodeIfPresent(Int.self, forKey: .replicas) ?? 1
        let window = try container.decodeIfPresent(Int64.self, forKey: .duplicateWindow) ?? 0
        self.duplicateWindow = window > 0 ? .nanoseconds(window) : nil
    }
}

/// What the server says of a stream: its configuration as it applies it, and what it holds.
public struct JetStreamStreamInfo: Sendable, Hashable, Decodable {
    public var configuration: JetStreamStreamConfiguration
    public var state: State
    /// The cluster's view of the stream, when the server is part of one.
    public var cluster: Cluster?

    public struct State: Sendable, Hashable, Decodable {
        public var messages: UInt64
        public var bytes: UInt64
        /// The sequence of the oldest message kept (after a purge, `lastSequence + 1`; 0 when empty).
        public var firstSequence: UInt64
        /// The sequence of the newest message; 0 when nothing was ever stored.
        public var lastSequence: UInt64
        public var consumerCount: Int

        enum CodingKeys: String, CodingKey {
            case messages, bytes
            case firstSequence = "first_seq"
            case lastSequence = "last_seq"
            case consumerCount = "consumer_count"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.messages = try container.decodeIfPresent(UInt64.self, forKey: .messages) ?? 0
            self.bytes = try container.decodeIfPresent(UInt64.self, forKey: .bytes) ?? 0
            self.firstSequence = try container.decodeIfPresent(UInt64.self, forKey: .firstSequence) ?? 0
            self.lastSequence = try container.decodeIfPresent(UInt64.self, forKey: .lastSequence) ?? 0
            self.consumerCount = try container.decodeIfPresent(Int.self, forKey: .consumerCount) ?? 0
        }
    }

    public struct Cluster: Sendable, Hashable, Decodable {
        public var name: String?
        public var leader: String?
        /// The other servers that hold a copy.
        public var replicas: [Replica]

        public struct Replica: Sendable, Hashable, Decodable {
            public var name: String
            public var current: Bool

            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                self.name = try container.decodeIfPresent(String.self, forKey: .name) ?? ""
                self.current = try container.decodeIfPresent(Bool.self, forKey: .current) ?? false
            }

            enum CodingKeys: String, CodingKey { case name, current }
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.name = try container.decodeIfPresent(String.self, forKey: .name)
            self.leader = try container.decodeIfPresent(String.self, forKey: .leader)
            self.replicas = try container.decodeIfPresent([Replica].self, forKey: .replicas) ?? []
        }

        enum CodingKeys: String, CodingKey { case name, leader, replicas }
    }

    enum CodingKeys: String, CodingKey {
        case configuration = "config"
        case state, cluster
    }
}

/// The server's acknowledgement of a message it stored.
public struct JetStreamPublishAck: Sendable, Hashable, Decodable {
    /// The stream that stored it.
    public var stream: String
    /// Its sequence in that stream (for a duplicate, the sequence of the message stored first).
    public var sequence: UInt64
    /// The stream had this message already (same `Nats-Msg-Id` within the duplicate window):
    /// nothing new was stored.
    public var isDuplicate: Bool

    enum CodingKeys: String, CodingKey {
        case stream
        case sequence = "seq"
        case isDuplicate = "duplicate"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.stream = try container.decode(String.self, forKey: .stream)
        self.sequence = try container.decode(UInt64.self, forKey: .sequence)
        self.isDuplicate = try container.decodeIfPresent(Bool.self, forKey: .isDuplicate) ?? false
    }
}

/// Durations as JetStream's JSON writes them: integer nanoseconds.
enum JetStreamDuration {
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
