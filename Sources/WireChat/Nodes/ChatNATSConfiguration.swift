public import Wire
public import WireNATS
public import WireSecurity

/// How a chat server shares its room with other nodes through NATS.
public struct ChatNATSConfiguration: Sendable {
    /// The NATS servers and how to reach them.
    public var client: NATSClientConfiguration
    /// The room's name: nodes with the same name on the same NATS form one room. Letters, digits,
    /// `-` and `_` only.
    public var room: String
    /// How often a node tells the others who is here; a node not heard from for five intervals is
    /// taken as gone, and its members as left. Default 1 second.
    public var presenceInterval: Duration
    /// Bytes of texts a node may publish that another node has not acknowledged yet; a node does
    /// not acknowledge while one of its members is behind, so this bounds what a slow member on
    /// another node can be sent beyond the room's own flow control. Default 1 MiB.
    public var window: Int
    /// Keep the room in a JetStream stream when the NATS server offers JetStream (the default),
    /// or link the nodes over core NATS only (`false`, `--nats-core`). A server without JetStream
    /// gets core NATS either way, with a warning.
    public var usesJetStream: Bool
    /// How long, and how much, the room's stream keeps.
    public var stream: ChatStreamLimits

    /// - Parameters:
    ///   - servers: NATS servers; the node connects to one and moves to another when it fails.
    ///   - room: The room's name, `lobby` by default.
    ///   - tls: TLS for NATS servers that require it; the system's trust store by default.
    public init(
        servers: [NATSServerAddress],
        room: String = "lobby",
        tls: (any ConnectionSecurity)? = nil,
        presenceInterval: Duration = .seconds(1)
    ) throws(ChatError) {
        guard Self.isValidRoomName(room) else { throw ChatError.invalidRoomName(room) }
        self.client = NATSClientConfiguration(
            servers: servers,
            name: "wire chat-server (\(room))",
            echo: false,
            pingInterval: .seconds(2),
            retriesFirstConnect: true,
            tls: tls
        )
        self.room = room
        self.presenceInterval = presenceInterval
        self.window = 1024 * 1024
        self.usesJetStream = true
        self.stream = ChatStreamLimits()
    }

    /// The stream that keeps the room: `WIRE_CHAT_<room>`.
    var streamName: String { "WIRE_CHAT_" + self.room }

    static func isValidRoomName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.unicodeScalars.allSatisfy {
                ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil)) || $0 == "-"
                    || $0 == "_"
            }
    }
}

/// What a room's JetStream stream keeps. A stored message is one batch: the texts a node
/// published in one go (one member's burst, or several members' when they talk at once).
///
/// A limit left `nil` takes its default when the stream is made, and leaves an existing stream's
/// as it is: a node started without flags does not undo the limits another was started with.
public struct ChatStreamLimits: Sendable, Hashable {
    /// Texts older than this are dropped. Default 24 hours.
    public var maximumAge: Duration?
    /// At most this many bytes; the oldest go first. Default 1 GiB.
    public var maximumBytes: Int?
    /// At most this many stored batches. Default: no limit.
    public var maximumMessages: Int?
    /// Copies on as many servers. Default: three when NATS knows three servers or more (a
    /// cluster), one otherwise.
    public var replicas: Int?

    public static let defaultMaximumAge = Duration.seconds(24 * 3600)
    public static let defaultMaximumBytes = 1 << 30

    public init(
        maximumAge: Duration? = nil,
        maximumBytes: Int? = nil,
        maximumMessages: Int? = nil,
        replicas: Int? = nil
    ) {
        self.maximumAge = maximumAge
        self.maximumBytes = maximumBytes
        self.maximumMessages = maximumMessages
        self.replicas = replicas
    }

    /// Whether any limit was chosen.
    var isSet: Bool {
        self.maximumAge != nil || self.maximumBytes != nil || self.maximumMessages != nil || self.replicas != nil
    }
}
