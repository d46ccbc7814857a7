import NIOCore
import WireFraming

/// Frames every outgoing message on the event loop.
///
/// Small messages are copied into one buffer with their header, so each message costs one buffer;
/// large ones go out as a header buffer followed by the caller's payload, which is never copied.
/// Messages reach this handler already validated by ``WireConnection/send(_:)``.
final class MessageFramingHandler: ChannelOutboundHandler {
    typealias OutboundIn = OutboundFrame
    typealias OutboundOut = ByteBuffer

    /// Payloads up to this size are copied next to their header; larger ones are written as they are.
    static let copyThreshold = 4096

    private let encoder: MessageEncoder

    init(encoder: MessageEncoder) {
        self.encoder = encoder
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let payload: ByteBuffer
        switch Self.unwrapOutboundIn(data) {
        case .message(let message):
            payload = message
        case .barrier(let barrier):
            // An empty write completes only after every write before it has reached the socket.
            promise.map { barrier.futureResult.cascade(to: $0) }
            context.write(Self.wrapOutboundOut(ByteBuffer()), promise: barrier)
            return
        }
        let overhead = self.encoder.overhead(forLength: payload.readableBytes)
        if overhead == 0 {
            context.write(Self.wrapOutboundOut(payload), promise: promise)
            return
        }
        if payload.readableBytes <= Self.copyThreshold {
            var frame = context.channel.allocator.buffer(capacity: payload.readableBytes + overhead)
            self.encoder.writePrefix(length: payload.readableBytes, into: &frame)
            frame.writeImmutableBuffer(payload)
            self.encoder.writeSuffix(into: &frame)
            context.write(Self.wrapOutboundOut(frame), promise: promise)
            return
        }
        var prefix = context.channel.allocator.buffer(capacity: overhead)
        self.encoder.writePrefix(length: payload.readableBytes, into: &prefix)
        if prefix.readableBytes > 0 {
            context.write(Self.wrapOutboundOut(prefix), promise: nil)
        }
        var suffix = context.channel.allocator.buffer(capacity: 1)
        self.encoder.writeSuffix(into: &suffix)
        if suffix.readableBytes > 0 {
            context.write(Self.wrapOutboundOut(payload), promise: nil)
            context.write(Self.wrapOutboundOut(suffix), promise: promise)
        } else {
            context.write(Self.wrapOutboundOut(payload), promise: promise)
        }
    }
}

@available(*, unavailable)
extension MessageFramingHandler: Sendable {}
