public import NIOCore

/// What Wire's own chat client says before its username, to ask for more than the tutorial's
/// protocol gives (docs/PROTOCOLS.md §4.1). Its first byte is 0x01, which no username may contain,
/// so the tutorial's clients, which send the username first, are never taken for one:
///
/// ```
/// \x01wire-chat/1 session=k3j9x2 resume=57.0 heartbeat=10
/// ```
///
/// - `session`: a token of the client's, the same on every connection of one run: a member that
///   comes back with its session replaces its old connection, if the server still has it (a
///   connection that went silent), instead of being refused for a taken name.
/// - `resume`: the position of the last text it received: the server sends what came after it, if
///   it still keeps that, then says how many it missed.
/// - `heartbeat`: seconds; the server sends a heartbeat record when it has sent nothing for that
///   long, and the client does the same, so that either side finds a silent connection.
///
/// With a hello, every record the server sends is three frames: username, text, position (empty
/// for the room's notices); a record whose three frames are empty is a heartbeat.
public struct ChatHello: Sendable, Hashable {
    public static let marker: UInt8 = 0x01
    static let version = "wire-chat/1"

    public var session: String
    public var resume: ChatPosition?
    public var heartbeat: Duration?

    public init(session: String, resume: ChatPosition? = nil, heartbeat: Duration? = nil) {
        self.session = session
        self.resume = resume
        self.heartbeat = heartbeat
    }

    /// The hello a frame holds, `nil` if it is not one (a username); throws for a hello that is
    /// malformed or of another version.
    public static func parse(_ frame: ByteBuffer) throws(ChatError) -> ChatHello? {
        guard frame.getInteger(at: frame.readerIndex, as: UInt8.self) == Self.marker else { return nil }
        let text = String(decoding: frame.readableBytesView.dropFirst(), as: UTF8.self)
        var words = text.split(separator: " ").makeIterator()
        guard words.next() == Self.version[...] else { throw ChatError.malformedHello(text) }
        var hello = ChatHello(session: "")
        while let word = words.next() {
            guard let equals = word.firstIndex(of: "=") else { throw ChatError.malformedHello(text) }
            let value = word[word.index(after: equals)...]
            switch word[..<equals] {
            case "session":
                hello.session = String(value)
            case "resume":
                guard let position = ChatPosition(value) else { throw ChatError.malformedHello(text) }
                hello.resume = position
            case "heartbeat":
                guard let seconds = Int(value), (1...3600).contains(seconds) else {
                    throw ChatError.malformedHello(text)
                }
                hello.heartbeat = .seconds(seconds)
            default:
                // Later versions may say more; what this one does not know, it leaves.
                continue
            }
        }
        return hello
    }

    /// The frame's payload.
    public var frame: ByteBuffer {
        var text = "\(Self.version) session=\(self.session)"
        if let resume = self.resume { text += " resume=\(resume)" }
        if let heartbeat = self.heartbeat { text += " heartbeat=\(heartbeat.components.seconds)" }
        var buffer = ByteBuffer()
        buffer.writeInteger(Self.marker)
        buffer.writeString(text)
        return buffer
    }
}
