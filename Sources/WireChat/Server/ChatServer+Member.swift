import NIOCore
import Synchronization
import Wire
import WireFraming

/// A TCP member: its connection is the room's sink, in the room's framing.
extension ChatServer {
    struct TCPTransport: ChatMemberTransport {
        static var kind: ChatTransportKind { .tcp }

        let connection: WireConnection
        var messages: IncomingMessages.AsyncIterator

        var peer: String { self.connection.peerDescription }

        func sink(positioned: Bool) -> WireConnection { self.connection }

        mutating func next() async throws -> ByteBuffer? {
            try await self.messages.next()
        }

        mutating func nextBatch() async throws -> [ByteBuffer]? {
            try await self.messages.nextBatch()
        }

        /// A notice the client can print as an ordinary record (with an empty position after a
        /// hello); the server closes the connection after.
        mutating func refuse(_ reason: ChatError, positioned: Bool) async {
            do {
                let frames = ChatRecord(username: ChatRoom.serverName, text: "refused: \(reason)").frames
                try await self.connection.send(contentsOf: positioned ? frames + [ByteBuffer()] : frames)
            } catch {
                // The client left before hearing why: the refusal stands and was reported.
            }
        }

        /// Nothing more: the server closes the connection once the member's task ends.
        mutating func finish(quit: Bool) async {}

        /// A member in the room is relayed on the connection's event loop, without a task.
        func handOff() -> ChatMemberHandoff? {
            let (unconsumed, rest) = self.messages.handOff()
            return ChatMemberHandoff(unconsumed: unconsumed, rest: rest, close: nil)
        }

        /// A TCP member's errors are all worth an event (a reset says so as well as anything).
        static func isPeerGone(_ error: any Error) -> Bool { false }
    }

    static func serve(
        _ connection: WireConnection,
        room: ChatRoom,
        configuration: ChatServerConfiguration,
        onEvent: @escaping @Sendable (ChatEvent) -> Void
    ) async -> WireServer.Served {
        var transport = TCPTransport(connection: connection, messages: connection.messages.makeAsyncIterator())
        let session = ChatMemberSession<TCPTransport>(
            room: room,
            usernameLimit: configuration.maximumUsernameBytes,
            reportsTexts: configuration.reportsTexts,
            onEvent: onEvent
        )
        return await session.run(&transport) ? .handedOff : .finished
    }

    /// The commands a member may send instead of a text.
    enum Command {
        case who
        case quit
    }

    static func command(in message: ByteBuffer) -> Command? {
        guard message.readableBytes <= 5,
            message.getInteger(at: message.readerIndex, as: UInt8.self) == UInt8(ascii: "/")
        else {
            return nil
        }
        switch String(decoding: message.readableBytesView, as: UTF8.self) {
        case "/who": return .who
        case "/quit": return .quit
        default: return nil
        }
    }

    static func validatedUsername(_ frame: ByteBuffer, limit: Int) throws(ChatError) -> String {
        guard frame.readableBytes > 0 else { throw ChatError.emptyUsername }
        guard frame.readableBytes <= limit else {
            throw ChatError.usernameTooLong(length: frame.readableBytes, limit: limit)
        }
        guard let name = String(validating: frame.readableBytesView, as: UTF8.self),
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw ChatError.usernameNotText
        }
        return name
    }
}
