public import Logging
public import NIOCore
public import NIOPosix
public import Wire
public import WireFraming

/// Joins a chat room as the tutorial's client does: sends the username, then texts, and reads
/// records of two frames (username, text).
///
/// ```swift
/// try await ChatClient.join(host: "127.0.0.1", port: 1234, username: "alice") { session in
///     try await session.send("hello")
///     for try await record in session.records {
///         print(record)          // "bob > hi"
///     }
/// }
/// ```
public enum ChatClient {
    /// Connects, sends `username`, and runs `body` with the session; leaves when `body` returns.
    public static func join<Result: Sendable>(
        host: String = "127.0.0.1",
        port: Int = 1234,
        username: String,
        configuration: ClientConfiguration = ClientConfiguration(framing: .header()),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "wire.chat.client", factory: { _ in SwiftLogNoOpLogHandler() }),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (ChatSession) async throws -> Result
    ) async throws -> Result {
        try await WireClient.withConnection(
            host: host,
            port: port,
            configuration: configuration,
            eventLoopGroup: eventLoopGroup,
            logger: logger
        ) { connection in
            try await connection.send(username)
            return try await body(ChatSession(username: username, connection: connection))
        }
    }
}

/// A member's side of a chat room.
public struct ChatSession: Sendable {
    /// The username this session joined with.
    public let username: String
    let connection: WireConnection

    /// Sends one text to the room.
    public func send(_ text: String) async throws {
        try await self.connection.send(text)
    }

    /// Sends several texts at once, with one flush.
    public func send(contentsOf texts: some Collection<ByteBuffer>) async throws {
        try await self.connection.send(contentsOf: texts)
    }

    /// Says that nothing more will be sent (a half-close); the server then lets this member leave.
    public func leave() async throws {
        try await self.connection.finish()
    }

    /// The records the room sends, in order; ends when the server closes the connection.
    public var records: ChatRecords {
        ChatRecords(messages: self.connection.messages)
    }
}

/// Records of two frames (username, text), paired up from a connection's messages.
public struct ChatRecords: AsyncSequence, Sendable {
    public typealias Element = ChatRecord
    let messages: IncomingMessages

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.messages.makeAsyncIterator())
    }

    /// Pairs frames into records; throws ``ChatError/incompleteRecord`` for a username without text.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: IncomingMessages.AsyncIterator

        public mutating func next() async throws -> ChatRecord? {
            guard let username = try await self.base.next() else { return nil }
            guard let text = try await self.base.next() else { throw ChatError.incompleteRecord }
            return ChatRecord(
                username: String(decoding: username.readableBytesView, as: UTF8.self),
                text: String(decoding: text.readableBytesView, as: UTF8.self)
            )
        }
    }
}
