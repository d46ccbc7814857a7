import NIOCore

/// What a ``WireConnection`` hands to its channel: a message to frame, or a marker whose promise
/// completes once every earlier message has been written to the socket.
enum OutboundFrame: Sendable {
    case message(ByteBuffer)
    case barrier(EventLoopPromise<Void>)
}
