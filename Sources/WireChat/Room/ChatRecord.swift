import NIOCore

/// One chat line as the tutorial's chat room sends it: the sender's username, then the text, as
/// two frames back to back (`H10(len u) u H10(len m) m`).
public struct ChatRecord: Sendable, Hashable, CustomStringConvertible {
    /// Who sent it, or ``ChatRoom/serverName`` for the room's own notices.
    public var username: String
    /// What was said.
    public var text: String
    /// Where the text sits in the room, for a session that said hello (``ChatHello``); `nil` for
    /// the room's notices and for the tutorial's protocol.
    public var position: ChatPosition?

    /// Creates a record.
    public init(username: String, text: String, position: ChatPosition? = nil) {
        self.username = username
        self.text = text
        self.position = position
    }

    /// `NAME > TEXT`, as the tutorial's client prints a record.
    public var description: String {
        "\(self.username) > \(self.text)"
    }

    /// The record's two frames' payloads.
    var frames: [ByteBuffer] {
        [ByteBuffer(string: self.username), ByteBuffer(string: self.text)]
    }
}
