import NIOCore
import NIOWebSocket

/// A browser member's frames as the room reads them: whole text messages, fragments gathered.
///
/// Answers pings on the way. What ends a member calls for a close frame: the browser's own close
/// (1000), a new message inside a fragmented one (1002), a binary frame (1003), a message over the
/// limit (1009). It is sent by ``sendClose()``, once the member has left the room, so that it is
/// the last frame on the connection.
struct WebSocketTexts {
    private var frames: NIOAsyncChannelInboundStream<WebSocketFrame>.AsyncIterator
    /// Its frames go out as the room's records do, through the channel on its event loop: one
    /// writer, so that they keep the order they were written in.
    private let channel: any Channel
    private let maximumMessageSize: Int
    /// The close frame the end of the member calls for, not sent yet.
    private(set) var closing: WebSocketErrorCode?

    init(
        _ inbound: NIOAsyncChannelInboundStream<WebSocketFrame>,
        channel: any Channel,
        maximumMessageSize: Int
    ) {
        self.frames = inbound.makeAsyncIterator()
        self.channel = channel
        self.maximumMessageSize = maximumMessageSize
    }

    /// The next whole text message; `nil` once the member is gone or has been closed.
    mutating func next() async throws -> ByteBuffer? {
        while let frame = try await self.frames.next() {
            switch frame.opcode {
            case .text:
                return try await self.gather(frame)
            case .ping:
                try await self.write(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
            case .connectionClose:
                self.closing = .normalClosure
                return nil
            case .binary:
                self.closing = .unacceptableData
                return nil
            default:
                break
            }
        }
        return nil
    }

    /// A text frame with its continuation frames, if it was fragmented. Control frames may come
    /// between fragments (RFC 6455, 5.4): pings are answered there too. A stream that ends inside
    /// a message, or a new message before the last one ended, ends the member.
    private mutating func gather(_ first: WebSocketFrame) async throws -> ByteBuffer? {
        var data = first.unmaskedData
        var finished = first.fin
        while !finished {
            guard let next = try await self.frames.next() else { return nil }
            switch next.opcode {
            case .continuation:
                var more = next.unmaskedData
                data.writeBuffer(&more)
                if data.readableBytes > self.maximumMessageSize {
                    self.closing = .messageTooLarge
                    return nil
                }
                finished = next.fin
            case .ping:
                try await self.write(WebSocketFrame(fin: true, opcode: .pong, data: next.unmaskedData))
            case .connectionClose:
                self.closing = .normalClosure
                return nil
            case .pong:
                break
            default:
                self.closing = .protocolError
                return nil
            }
        }
        return data
    }

    /// Ends the member with a close frame with `code` (unless another is already due).
    mutating func close(_ code: WebSocketErrorCode) {
        if self.closing == nil { self.closing = code }
    }

    /// Sends the close frame that is due, if one is: the last frame on the connection.
    mutating func sendClose() async throws {
        guard let code = self.closing else { return }
        self.closing = nil
        try await self.send(close: code)
    }

    private func send(close code: WebSocketErrorCode) async throws {
        var data = ByteBuffer()
        data.write(webSocketErrorCode: code)
        try await self.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
    }

    /// Sends a text frame.
    func write(_ frame: WebSocketFrame) async throws {
        try await self.channel.writeAndFlush(frame).get()
    }
}
