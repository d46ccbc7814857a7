import NIOCore
import Wire

/// Closes a web connection that waits for a page request, once NIO's `IdleStateHandler` before
/// it reports that nothing went either way for the idle timeout, as the room closes an idle TCP
/// member: the connection's stream ends with a ``ConnectionError`` that says so. Removed with the
/// `IdleStateHandler` when the connection becomes a browser member (see
/// ``WebSocketTimeoutHandler``).
final class WebIdleCloser: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: Duration

    init(after timeout: Duration) {
        self.timeout = timeout
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is IdleStateHandler.IdleStateEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        let peer = context.channel.remoteAddress?.endpointDescription ?? "peer"
        context.fireErrorCaught(ConnectionError.idleTimeout(peer: peer, after: self.timeout))
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension WebIdleCloser: Sendable {}
