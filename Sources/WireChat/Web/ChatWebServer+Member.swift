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

    let member: ChatWebServer.BrowserChannel
    let logger: Logger
    let peer: String

    private var channel: any Channel { self.member.channel }

    func sink(positioned: Bool) -> WebSocketMember {
        WebSocketMember(channel: self.channel, writer: self.member.writer, positioned: positioned, logger: self.logger)
    }

    /// One message, leaving the rest of its burst for whoever reads next.
    mutating func next() async throws -> ByteBuffer? {
        try await self.member.queue.nextMessage()
    }

    mutating func nextBatch() async throws -> [ByteBuffer]? {
        try await self.member.queue.next()
    }

    /// The reason as a record from the room, then a Close frame (1008).
    mutating func refuse(_ reason: ChatError, positioned: Bool) async {
        let notice = WebSocketMember.textFrame(user: ChatRoom.serverName, text: "refused: \(reason)")
        do {
            try await self.channel.writeAndFlush(notice).get()
            try await Self.close(self.member, quit: false, decided: .policyViolation, closing: false).get()
        } catch {
            // The browser left before hearing why: the refusal stands and was reported.
        }
    }

    /// The Close frame its end calls for: 1000 after /quit or the browser's own Close, another
    /// code for a broken message; none when the connection just ended.
    mutating func finish(quit: Bool) async {
        try? await Self.close(self.member, quit: quit, decided: nil, closing: false).get()
    }

    /// A browser in the room is relayed on its event loop, as a TCP member is; its end sends the
    /// Close frame due, then closes the connection.
    func handOff() -> ChatMemberHandoff? {
        let member = self.member
        return ChatMemberHandoff(unconsumed: [], rest: MessagePoller(base: member.queue, peer: self.peer)) { quit in
            _ = Self.close(member, quit: quit, decided: nil, closing: true)
        }
    }

    /// Sends the Close frame that is due (see ``WebSocketTexts/takeCloseFrame(quit:decided:)``),
    /// the last frame on the connection; with `closing`, closes the connection once it is sent
    /// (or at once, when none is due).
    static func close(
        _ member: ChatWebServer.BrowserChannel,
        quit: Bool,
        decided code: WebSocketErrorCode?,
        closing: Bool
    ) -> EventLoopFuture<Void> {
        let channel = member.channel
        return channel.eventLoop.flatSubmit {
            let sent: EventLoopFuture<Void>
            if let frame = member.texts.value.takeCloseFrame(quit: quit, decided: code) {
                sent = channel.writeAndFlush(frame)
            } else {
                sent = channel.eventLoop.makeSucceededVoidFuture()
            }
            if closing {
                sent.whenComplete { _ in channel.close(promise: nil) }
            }
            return sent
        }
    }

    /// A browser that went away without a Close frame (a closed tab) just left: a reset, as the
    /// socket reports it or, once the member is relayed, as its poller does.
    static func isPeerGone(_ error: any Error) -> Bool {
        switch error {
        case let error as IOError where SystemError.isPeerGone(error): return true
        case let error as ConnectionError where error.kind == .reset: return true
        case ChannelError.ioOnClosedChannel: return true
        default: return false
        }
    }
}

extension ChatWebServer {
    /// A browser member's channel once upgraded: its messages' queue, and the handler that fills
    /// it and knows the Close frame due.
    struct BrowserChannel: Sendable {
        let channel: any Channel
        let queue: InboundQueue
        let texts: NIOLoopBound<WebSocketTexts>
        /// Where its records go, framed.
        let writer: NIOLoopBound<WebSocketFramedWriter>
    }

    /// Serves a browser member; its connection lives on after this returns once the member is in
    /// the room (its relay closes it), and is closed here otherwise.
    func serve(_ member: BrowserChannel) async {
        let channel = member.channel
        var transport = WebSocketTransport(
            member: member,
            logger: self.logger,
            peer: channel.remoteAddress?.endpointDescription ?? "unknown peer"
        )
        let session = ChatMemberSession<WebSocketTransport>(
            room: self.room,
            usernameLimit: self.configuration.maximumUsernameBytes,
            reportsTexts: self.configuration.reportsTexts,
            onEvent: self.onEvent
        )
        if await !session.run(&transport) {
            channel.close(promise: nil)
        }
    }
}
