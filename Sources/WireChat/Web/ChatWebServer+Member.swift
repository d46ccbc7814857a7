import Logging
import NIOCore
import NIOWebSocket
@_spi(Broadcast) import Wire

/// A browser member: its texts come as WebSocket text messages (``WebSocketTexts``), the room's
/// records go out as JSON text frames (``WebSocketMember``), and it ends with the Close frame its
/// end calls for, once it has left the room. Its life is ``ChatMemberSession``'s, as a TCP
/// member's is.
struct WebSocketTransport: ChatMemberTransport {
    static var kind: ChatTransportKind { .webSocket }

    var texts: WebSocketTexts
    let channel: any Channel
    let logger: Logger
    let peer: String

    func sink(positioned: Bool) -> WebSocketMember {
        WebSocketMember(channel: self.channel, positioned: positioned, logger: self.logger)
    }

    mutating func next() async throws -> ByteBuffer? {
        try await self.texts.next()
    }

    /// One text at a time: a browser's messages come whole, one per frame.
    mutating func nextBatch() async throws -> [ByteBuffer]? {
        try await self.texts.next().map { [$0] }
    }

    /// The reason as a record from the room, then a Close frame (1008).
    mutating func refuse(_ reason: ChatError, positioned: Bool) async {
        let notice = WebSocketMember.textFrame(user: ChatRoom.serverName, text: "refused: \(reason)")
        do {
            try await self.texts.write(notice)
            self.texts.close(.policyViolation)
            try await self.texts.sendClose()
        } catch {
            // The browser left before hearing why: the refusal stands and was reported.
        }
    }

    /// The Close frame its end calls for: 1000 after /quit or the browser's own Close, another
    /// code for a broken message; none when the connection just ended.
    mutating func finish(quit: Bool) async {
        if quit { self.texts.close(.normalClosure) }
        do {
            try await self.texts.sendClose()
        } catch {
            // Gone already: nothing to close.
        }
    }

    /// A browser that went away without a close frame (a closed tab) just left, as one noticed
    /// while answering it did.
    /// Browsers stay in their tasks.
    func handOff() -> (unconsumed: [ByteBuffer], rest: MessagePoller)? { nil }

    static func isPeerGone(_ error: any Error) -> Bool {
        switch error {
        case let error as IOError where SystemError.isPeerGone(error): return true
        case ChannelError.ioOnClosedChannel: return true
        default: return false
        }
    }
}

extension ChatWebServer {
    func serve(_ member: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) async {
        let channel = member.channel
        let peer = channel.remoteAddress?.endpointDescription ?? "unknown peer"
        do {
            try await member.executeThenClose { inbound, _ in
                var transport = WebSocketTransport(
                    texts: WebSocketTexts(
                        inbound,
                        channel: channel,
                        maximumMessageSize: self.configuration.server.maximumMessageSize
                    ),
                    channel: channel,
                    logger: self.logger,
                    peer: peer
                )
                let session = ChatMemberSession<WebSocketTransport>(
                    room: self.room,
                    usernameLimit: self.configuration.maximumUsernameBytes,
                    reportsTexts: self.configuration.reportsTexts,
                    onEvent: self.onEvent
                )
                _ = await session.run(&transport)
            }
        } catch {
            self.onEvent(.failed(peer: peer, username: nil, error: error))
        }
    }
}
