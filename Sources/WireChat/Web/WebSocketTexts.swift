import NIOCore
import NIOWebSocket
@_spi(Broadcast) import Wire

/// A browser member's frames as the room reads them: whole text messages, fragments gathered,
/// handed to its queue a read burst at a time (so that a burst is framed once for the room, and a
/// member in the room is relayed on the event loop as a TCP member is, without a task).
///
/// Answers pings on the way. What ends a member calls for a close frame: the browser's own close
/// (1000), a new message inside a fragmented one (1002), a binary frame (1003), a message over the
/// limit (1009). It is taken by ``takeCloseFrame(quit:decided:)`` and sent once the member has left the
/// room, so that it is the last frame on the connection. Holds the channel's reads while its
/// queue is full, as a TCP member's decoder does.
///
/// Sits after the WebSocket codec (and the timeouts), on the channel's event loop.
final class WebSocketTexts: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Where whole messages go; the member's session and then its relay read them.
    let queue: InboundQueue
    private let maximumMessageSize: Int
    /// The close frame the end of the member calls for, not sent yet.
    private(set) var closing: WebSocketErrorCode?
    /// A fragmented message so far.
    private var partial: ByteBuffer?
    /// Whole messages of this read burst, not queued yet.
    private var batch: [ByteBuffer] = []
    private var batchBytes = 0
    /// The messages have ended: what comes after is not read.
    private var ended = false
    /// The Close frame was taken: nothing may follow it.
    private var closeTaken = false

    init(queue: InboundQueue, maximumMessageSize: Int) {
        self.queue = queue
        self.maximumMessageSize = maximumMessageSize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.ended else { return }
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text where self.partial == nil:
            if frame.fin {
                self.take(frame.unmaskedData)
            } else {
                self.partial = frame.unmaskedData
            }
        case .continuation where self.partial != nil:
            var more = frame.unmaskedData
            self.partial!.writeBuffer(&more)
            if self.partial!.readableBytes > self.maximumMessageSize {
                self.end(closing: .messageTooLarge)
            } else if frame.fin {
                let message = self.partial!
                self.partial = nil
                self.take(message)
            }
        case .continuation:
            // No message to continue: nothing to gather.
            break
        case .ping:
            // Control frames may come between fragments (RFC 6455, 5.4): answered there too.
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(Self.wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .connectionClose:
            self.end(closing: .normalClosure)
        case .binary where self.partial == nil:
            self.end(closing: .unacceptableData)
        case .text, .binary:
            // A new message before the last one ended.
            self.end(closing: .protocolError)
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.queueBatch()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.finish(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A stream that ends inside a message ends the member, with no close frame.
        self.finish(nil)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Whatever takes it out of the pipeline, its readers are not left waiting.
        self.finish(nil)
    }

    func read(context: ChannelHandlerContext) {
        if self.queue.mayRead() {
            context.read()
        }
    }

    /// The close frame the member's end calls for, at most once: what the session decided (1000
    /// after /quit, `decided` for a refusal) before what the frames called for (read ahead of
    /// the session: a binary frame after the /quit does not change its 1000); `nil` when the
    /// connection just ended.
    func takeCloseFrame(quit: Bool, decided: WebSocketErrorCode? = nil) -> WebSocketFrame? {
        let due: WebSocketErrorCode? = quit ? .normalClosure : decided ?? self.closing
        guard !self.closeTaken, let code = due else { return nil }
        self.closeTaken = true
        self.closing = nil
        self.ended = true
        var data = ByteBuffer()
        data.write(webSocketErrorCode: code)
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
    }

    private func take(_ message: ByteBuffer) {
        self.batch.append(message)
        self.batchBytes += message.readableBytes
    }

    private func queueBatch() {
        guard !self.batch.isEmpty else { return }
        let (batch, bytes) = (self.batch, self.batchBytes)
        self.batch = []
        self.batchBytes = 0
        self.queue.push(batch, bytes: bytes)
    }

    /// The messages end here, after those already whole, with `code` due.
    private func end(closing code: WebSocketErrorCode) {
        if self.closing == nil { self.closing = code }
        self.partial = nil
        self.finish(nil)
    }

    /// The messages end after those already whole: cleanly, or with `error`.
    private func finish(_ error: (any Error)?) {
        self.queueBatch()
        self.ended = true
        self.queue.finish(error)
    }
}

@available(*, unavailable)
extension WebSocketTexts: Sendable {}
