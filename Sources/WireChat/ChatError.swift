import NIOCore

/// Why a chat session was refused or ended.
public struct ChatError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case emptyUsername
        case usernameTooLong(length: Int, limit: Int)
        case usernameTaken(String)
        case usernameReserved(String)
        case usernameNotText
        case incompleteRecord
        case malformedHello(String)
        case silent(after: Duration)
        case invalidRoomName(String)
        case stalled(username: String, pendingBytes: Int, timeout: Duration)
        case overflowed(username: String, pendingBytes: Int, limit: Int)
    }

    let code: Code

    init(_ code: Code) {
        self.code = code
    }

    /// The first frame, the username, was empty.
    public static let emptyUsername = ChatError(.emptyUsername)
    /// The username is longer than the room allows.
    public static func usernameTooLong(length: Int, limit: Int) -> ChatError {
        ChatError(.usernameTooLong(length: length, limit: limit))
    }
    /// Someone in the room already has this username.
    public static func usernameTaken(_ name: String) -> ChatError { ChatError(.usernameTaken(name)) }
    /// The username is the room's own, which no client may take.
    public static func usernameReserved(_ name: String) -> ChatError { ChatError(.usernameReserved(name)) }
    /// The username is not valid UTF-8 or holds control characters.
    public static let usernameNotText = ChatError(.usernameNotText)
    /// The server closed the connection between a record's username and its text.
    public static let incompleteRecord = ChatError(.incompleteRecord)
    /// A first frame that starts as a hello (0x01) but is not one this server understands.
    public static func malformedHello(_ text: String) -> ChatError {
        ChatError(.malformedHello(String(text.prefix(100))))
    }
    /// Nothing, not even a heartbeat, came from the other side for this long.
    public static func silent(after: Duration) -> ChatError { ChatError(.silent(after: after)) }
    /// A room name for NATS that is empty, too long, or has characters other than letters, digits, - and _.
    public static func invalidRoomName(_ name: String) -> ChatError { ChatError(.invalidRoomName(name)) }
    /// A member's socket accepted nothing for the stall timeout while records waited for it.
    public static func stalled(username: String, pendingBytes: Int, after timeout: Duration) -> ChatError {
        ChatError(.stalled(username: username, pendingBytes: pendingBytes, timeout: timeout))
    }
    /// More bytes waited for a member than the room allows.
    public static func overflowed(username: String, pendingBytes: Int, limit: Int) -> ChatError {
        ChatError(.overflowed(username: username, pendingBytes: pendingBytes, limit: limit))
    }

    static func evicted(
        username: String,
        reason: ChatRoomState<ChatRoom.Link>.EvictionReason,
        stallTimeout: TimeAmount
    ) -> ChatError {
        switch reason {
        case .stalled(let pendingBytes, _):
            return ChatError(
                .stalled(
                    username: username,
                    pendingBytes: pendingBytes,
                    timeout: .nanoseconds(stallTimeout.nanoseconds)
                )
            )
        case .overflowed(let pendingBytes, let limit):
            return ChatError(.overflowed(username: username, pendingBytes: pendingBytes, limit: limit))
        }
    }

    public var description: String {
        switch self.code {
        case .emptyUsername:
            return "username is empty"
        case .usernameTooLong(let length, let limit):
            return "username of \(length) bytes is longer than the limit of \(limit) bytes"
        case .usernameTaken(let name):
            return "username \"\(name)\" is already taken"
        case .usernameReserved(let name):
            return "username \"\(name)\" is reserved for the server"
        case .usernameNotText:
            return "username must be UTF-8 text without control characters"
        case .malformedHello(let text):
            return "the first frame starts as a hello (0x01) but is not a wire-chat/1 hello: \(text.debugDescription)"
        case .silent(let after):
            return
                "nothing came from the other side for \(after), not even a heartbeat: the connection is taken as dead"
        case .incompleteRecord:
            return "the server closed the connection in the middle of a record"
        case .invalidRoomName(let name):
            return "\"\(name)\" is not a room name: use 1 to 64 ASCII letters, digits, - and _"
        case .stalled(let username, let pendingBytes, let timeout):
            return "\(username) read nothing for \(timeout) while \(pendingBytes) bytes waited for it"
        case .overflowed(let username, let pendingBytes, let limit):
            return "\(pendingBytes) bytes waited for \(username), more than the limit of \(limit)"
        }
    }
}
