import NIOCore
import WireFraming

/// What the decoder tells the handlers after it: the peer sent messages, or a heartbeat.
enum ConnectionActivity {
    case messages
    case heartbeat
}

/// Closes a connection that times out and sends its heartbeats, as ``ConnectionClock`` decides.
///
/// Sits after ``MessageBatchDecoder``, which reports the peer's messages and heartbeats as
/// ``ConnectionActivity`` events; sees every write the connection makes on its way out. One timer
/// per connection, moved only when it fires: activity just updates the clock. A timeout ends the
/// reader's stream with a ``ConnectionError`` that says which, then closes the channel. Time is the
/// event loop's, so that tests on an `EmbeddedEventLoop` drive it. The timer is a NIO scheduled
/// callback with this handler as its target (see ``ClockDrivenHandler``): no closure, promise or
/// future per connection.
final class ConnectionTimeoutHandler: ChannelDuplexHandler, ClockDrivenHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var clock: ConnectionClock
    var clockTimer = ClockTimer()
    private let queue: InboundQueue
    /// The connection's one writer, which says whether a heartbeat may go.
    private let outbound: OutboundBuffer

    init(timeouts: ConnectionTimeouts, framing: Framing, queue: InboundQueue, outbound: OutboundBuffer) {
        self.clock = ConnectionClock(
            timeouts: timeouts,
            framingAllowsEmptyMessages: framing.allowsEmptyMessages,
            now: .now()
        )
        self.queue = queue
        self.outbound = outbound
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event as? ConnectionActivity {
        case .messages:
            self.clock.receivedMessages(now: context.eventLoop.now)
        case .heartbeat:
            self.clock.receivedHeartbeat(now: context.eventLoop.now)
        case nil:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.clock.wrote(now: context.eventLoop.now)
        context.write(data, promise: promise)
    }

    func sendHeartbeat(context: ChannelHandlerContext) {
        // Only when the connection's writer has no burst on its way (which never cuts into one),
        // and written from here, past this handler's own `write`: a heartbeat is not activity,
        // only what the peer sends proves it is alive. Everything written before has passed this
        // handler already, so the order holds.
        if let frame = self.outbound.heartbeatFrame() {
            context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
        }
    }

    func timedOut(_ error: ConnectionError, context: ChannelHandlerContext) {
        // The reader learns why before the close ends its stream (the first end wins).
        self.queue.finish(error)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension ConnectionTimeoutHandler: Sendable {}
