import NIOCore
import Wire

/// Closes a web connection that has not sent a whole first request within the first-message
/// timeout, as the TCP port closes a client without its username: a socket that only holds a
/// place (under the connection limit) is gone after seconds, not after the idle timeout. Removed
/// once the first request has been read (when the connection is upgraded to a browser member, or
/// answered as a page request).
final class WebRequestDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    static let name = "wire.web.request-deadline"

    private let timeout: Duration
    private var deadline: Scheduled<Void>?

    init(timeout: Duration) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            self.start(context: context)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.start(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.deadline?.cancel()
        self.deadline = nil
    }

    private func start(context: ChannelHandlerContext) {
        guard self.deadline == nil else { return }
        let timeout = self.timeout
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.deadline = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            let context = loopBound.value
            let peer = context.channel.remoteAddress?.endpointDescription ?? "peer"
            context.fireErrorCaught(ConnectionError.firstMessageTimeout(peer: peer, after: timeout))
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension WebRequestDeadline: Sendable {}
