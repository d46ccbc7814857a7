import NIOCore
import Wire

/// A web connection's timeouts before it is a browser member, kept by the same
/// ``ConnectionClock`` as a TCP connection's: no whole first request within the first-message
/// timeout closes it (as a TCP client without its username is closed: a socket that only holds a
/// place under the connection limit is gone after seconds, and bytes trickled in do not keep it),
/// and nothing either way for the idle timeout closes a page connection kept alive.
///
/// Sits after TLS and before HTTP, so it sees bytes: bytes read or written are activity, and
/// ``firstRequestRead(context:)`` says the first request is whole. Replaced by
/// ``WebSocketTimeoutHandler`` when the connection becomes a browser member.
final class WebPageTimeoutHandler: ChannelDuplexHandler, ClockDrivenHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    static let name = "wire.web.page-timeouts"

    var clock: ConnectionClock
    var clockTimer = ClockTimer()

    init(timeouts: ConnectionTimeouts) {
        // No heartbeats: HTTP has none.
        let timeouts = ConnectionTimeouts(idle: timeouts.idle, firstMessage: timeouts.firstMessage)
        self.clock = ConnectionClock(timeouts: timeouts, framingAllowsEmptyMessages: false, now: .now())
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The peer is there; a request is not whole yet.
        self.clock.receivedHeartbeat(now: context.eventLoop.now)
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.clock.wrote(now: context.eventLoop.now)
        context.write(data, promise: promise)
    }

    /// The first request has been read whole: from now on only the idle timeout counts.
    func firstRequestRead(context: ChannelHandlerContext) {
        self.clock.receivedMessages(now: context.eventLoop.now)
    }

    func sendHeartbeat(context: ChannelHandlerContext) {}

    func timedOut(_ error: ConnectionError, context: ChannelHandlerContext) {
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension WebPageTimeoutHandler: Sendable {}
