import NIOCore
import NIOWebSocket
import Wire

/// Writes bytes already framed as WebSocket frames past the WebSocket encoder: a browser member's
/// records, framed by ``WebSocketMember`` into one buffer per write, so that a burst to a browser
/// is one write through the pipeline instead of one frame (and one header buffer) per record.
///
/// Sits just before the encoder (on the socket's side of it), so that what it writes reaches the
/// socket (or TLS) as it is; other writes pass through it untouched, in the order they were made.
/// What it writes counts as written for the member's clock, as a frame through the timeout
/// handler does. On the channel's event loop.
final class WebSocketFramedWriter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    /// The member's clock, when it has timeouts or heartbeats.
    private let timeouts: WebSocketTimeoutHandler?

    init(timeouts: WebSocketTimeoutHandler?) {
        self.timeouts = timeouts
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Writes `bytes`, whole WebSocket frames, without a flush.
    func write(framed bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        self.timeouts?.clock.wrote(now: context.eventLoop.now)
        context.write(Self.wrapOutboundOut(bytes), promise: promise)
    }

    /// Appends `payload` as one unmasked, final text frame (RFC 6455, 5.2), as NIO's encoder
    /// writes a server's frame.
    static func appendTextFrame(_ payload: ByteBuffer, to out: inout ByteBuffer) {
        out.writeInteger(UInt8(0x81))  // FIN, text
        let length = payload.readableBytes
        if length < 126 {
            out.writeInteger(UInt8(length))
        } else if length <= Int(UInt16.max) {
            out.writeInteger(UInt8(126))
            out.writeInteger(UInt16(length))
        } else {
            out.writeInteger(UInt8(127))
            out.writeInteger(UInt64(length))
        }
        out.writeImmutableBuffer(payload)
    }
}

@available(*, unavailable)
extension WebSocketFramedWriter: Sendable {}
