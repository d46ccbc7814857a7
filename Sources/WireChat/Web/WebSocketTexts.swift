import NIOCore
import NIOWebSocket

/// A browser member's frames as the room reads them: whole text messages, fragments gathered.
///
/// Answers pings on the way. What ends a member is answered with the close frame it calls for: the
/// browser's own close (1000), a new message inside a fragmented one (1002), a binary frame (1003),
/// a message over the limit (1009).
struct WebSocketTexts {
    private var frames: NIOAsyncChannelInboundStream<WebSocketFrame>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    private let maximumMessageSize: Int

    init(
        _ inbound: NIOAsyncChannelInboundStream<WebSocketFrame>,
        outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>,
        maximumMessageSize: Int
    ) {
        self.frames = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.maximumMessageSize = maximumMessageSize
    }

    /// The next whole text message; `nil` once the member is gone or has been closed.
    mutating func next() async throws -> ByteBuffer? {
        while let frame = try await self.frames.next() {
            switch frame.opcode {
            case .text:
                return try await self.gather(frame)
            case .ping:
                try await self.outbound.write(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
            case .connectionClose:
                try await self.close(.normalClosure)
                return nil
            case .binary:
                try await self.close(.unacceptableData)
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
                    try await self.close(.messageTooLarge)
                    return nil
                }
                finished = next.fin
            case .ping:
                try await self.outbound.write(WebSocketFrame(fin: true, opcode: .pong, data: next.unmaskedData))
            case .connectionClose:
                try await self.close(.normalClosure)
                return nil
            case .pong:
                break
            default:
                try await self.close(.protocolError)
                return nil
            }
        }
        return data
    }

    /// Sends a close frame with `code`.
    func close(_ code: WebSocketErrorCode) async throws {
        var data = ByteBuffer()
        data.write(webSocketErrorCode: code)
        try await self.outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
    }

    /// Sends a text frame.
    func write(_ frame: WebSocketFrame) async throws {
        try await self.outbound.write(frame)
    }
}
