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

    /// - Parameters:
    ///   - servers: NATS servers; the node connects to one and moves to another when it fails.
    ///   - room: The room's name, `lobby` by default.
    ///   - tls: TLS for NATS servers that require it; the system's trust store by default.
    public init(servers: [NATSServerAddress], room: String = "lobby", tls: WireTLS? = nil, presenceInterval: Duration = .seconds(1)) throws(ChatError) {
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
    }

    static func isValidRoomName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil)) || $0 == "-" || $0 == "_" }
    }
}
