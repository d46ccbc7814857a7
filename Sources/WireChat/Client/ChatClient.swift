public import Logging
public import NIOCore
public import NIOPosix
import Synchronization
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
    ///
    /// With a `hello` (Wire's own protocol, docs/PROTOCOLS.md §4.1), the hello goes first: records
    /// then carry their positions, the room resumes after `hello.resume`, and with
    /// `hello.heartbeat` both sides send heartbeats: a session that hears nothing for three
    /// intervals ends with ``ChatError/silent(after:)``.
    public static func join<Result: Sendable>(
        host: String = "127.0.0.1",
        port: Int = 1234,
        username: String,
        hello: ChatHello? = nil,
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
            if let hello {
                try await connection.send(contentsOf: [hello.frame, ByteBuffer(string: username)])
            } else {
                try await connection.send(username)
            }
            let session = ChatSession(username: username, connection: connection, hello: hello)
            guard let heartbeat = hello?.heartbeat else {
                return try await body(session)
            }
            // Heartbeats out, and a watch for silence in: a connection that went quiet without a
            // reset (a NAT that forgot it, a pulled cable) is closed, and the records end.
            let watch = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: heartbeat)
                    try await connection.send(ByteBuffer())
                    let silent = NIODeadline.now().uptimeNanoseconds - session.lastHeard.value.load(ordering: .relaxed)
                    if silent > 3 * UInt64(TimeAmount(heartbeat).nanoseconds) {
                        session.wentSilent.set()
                        connection.close()
                        return
                    }
                }
            }
            defer { watch.cancel() }
            return try await body(session)
        }
    }
}

/// A member's side of a chat room.
public struct ChatSession: Sendable {
    /// The username this session joined with.
    public let username: String
    let connection: WireConnection
    /// The hello it said, if any: its records then have three frames.
    let hello: ChatHello?
    let lastHeard = LastHeard()
    let wentSilent = SilentFlag()
    /// Whether anything came from the server yet (after a hello, a heartbeat comes at once).
    let heardFromServer = SilentFlag()
    private let position = Reached()

    final class Reached: Sendable {
        let value = Mutex<ChatPosition?>(nil)
    }

    /// After a hello, the position of the last record received, or of the room when this session
    /// joined if none came since: what to resume from on a new connection.
    public var lastPosition: ChatPosition? {
        self.position.value.withLock { $0 }
    }

    func reached(_ position: ChatPosition) {
        self.position.value.withLock { last in
            if last.map({ $0 < position }) ?? true { last = position }
        }
    }

    init(username: String, connection: WireConnection, hello: ChatHello? = nil) {
        self.username = username
        self.connection = connection
        self.hello = hello
    }

    /// When something last came from the server, in uptime nanoseconds.
    final class LastHeard: Sendable {
        let value = Atomic<UInt64>(NIODeadline.now().uptimeNanoseconds)
    }

    final class SilentFlag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { self.value.store(true, ordering: .relaxed) }
        var isSet: Bool { self.value.load(ordering: .relaxed) }
    }

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

    /// The records the room sends, in order; ends when the server closes the connection. After a
    /// hello, heartbeats are not records: they only keep the session alive.
    public var records: ChatRecords {
        ChatRecords(messages: self.connection.messages, framesPerRecord: self.hello == nil ? 2 : 3, session: self)
    }
}

/// Records of two frames (username, text), or three after a hello (and a position), paired up
/// from a connection's messages.
public struct ChatRecords: AsyncSequence, Sendable {
    public typealias Element = ChatRecord
    let messages: IncomingMessages
    let framesPerRecord: Int
    let session: ChatSession?

    init(messages: IncomingMessages, framesPerRecord: Int = 2, session: ChatSession? = nil) {
        self.messages = messages
        self.framesPerRecord = framesPerRecord
        self.session = session
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(
            base: self.messages.makeAsyncIterator(),
            framesPerRecord: self.framesPerRecord,
            session: self.session
        )
    }

    /// Pairs frames into records; throws ``ChatError/incompleteRecord`` for a username without
    /// text, and ``ChatError/silent(after:)`` when the session's heartbeats found the connection
    /// dead.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: IncomingMessages.AsyncIterator
        let framesPerRecord: Int
        let session: ChatSession?

        public mutating func next() async throws -> ChatRecord? {
            while true {
                guard let username = try await self.frame() else {
                    if let session = self.session, session.wentSilent.isSet, let heartbeat = session.hello?.heartbeat {
                        throw ChatError.silent(after: heartbeat * 3)
                    }
                    return nil
                }
                guard let text = try await self.frame() else { throw ChatError.incompleteRecord }
                var position: ChatPosition?
                if self.framesPerRecord == 3 {
                    guard let third = try await self.frame() else { throw ChatError.incompleteRecord }
                    position = ChatPosition(String(decoding: third.readableBytesView, as: UTF8.self))
                    if let position { self.session?.reached(position) }
                    if username.readableBytes == 0 && text.readableBytes == 0 {
                        continue  // a heartbeat, or the room's position when this session joined
                    }
                }
                return ChatRecord(
                    username: String(decoding: username.readableBytesView, as: UTF8.self),
                    text: String(decoding: text.readableBytesView, as: UTF8.self),
                    position: position
                )
            }
        }

        private mutating func frame() async throws -> ByteBuffer? {
            let frame: ByteBuffer?
            do {
                frame = try await self.base.next()
            } catch {
                // Closed by the heartbeats' watch: that is why, whatever the socket says.
                if let session = self.session, session.wentSilent.isSet, let heartbeat = session.hello?.heartbeat {
                    throw ChatError.silent(after: heartbeat * 3)
                }
                throw error
            }
            if frame != nil, let session = self.session {
                session.lastHeard.value.store(NIODeadline.now().uptimeNanoseconds, ordering: .relaxed)
                session.heardFromServer.set()
            }
            return frame
        }
    }
}
