/// Why a chat session was refused or ended.
public struct ChatError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case emptyUsername
        case usernameTooLong(length: Int, limit: Int)
        case usernameTaken(String)
        case usernameReserved(String)
        case usernameNotText
        case incompleteRecord
        case queueOverflow(username: String, messages: Int, bytes: Int)
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
    /// A client did not read, and its outbound queue filled up.
    public static func queueOverflow(username: String, messages: Int, bytes: Int) -> ChatError {
        ChatError(.queueOverflow(username: username, messages: messages, bytes: bytes))
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
        case .incompleteRecord:
            return "the server closed the connection in the middle of a record"
        case .queueOverflow(let username, let messages, let bytes):
            return "\(username) did not keep up: \(messages) messages (\(bytes) bytes) were waiting for it"
        }
    }
}
