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
/// callback with this handler as its target: no closure, promise or future per connection.
final class ConnectionTimeoutHandler: ChannelDuplexHandler, NIOScheduledCallbackHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var clock: ConnectionClock
    private let queue: InboundQueue
    /// The connection's one writer, which says whether a heartbeat may go.
    private let outbound: OutboundBuffer
    private var timer: NIOScheduledCallback?
    /// The context the timer acts on, held from `handlerAdded` to `handlerRemoved` only.
    private var context: ChannelHandlerContext?
    private var isDone = false

    init(timeouts: ConnectionTimeouts, framing: Framing, queue: InboundQueue, outbound: OutboundBuffer) {
        self.clock = ConnectionClock(timeouts: timeouts, framingAllowsEmptyMessages: framing.allowsEmptyMessages, now: .now())
        self.queue = queue
        self.outbound = outbound
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            self.start(context: context)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.start(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.stop()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.stop()
        context.fireChannelInactive()
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

    private func start(context: ChannelHandlerContext) {
        guard self.timer == nil, !self.isDone else { return }
        // The clocks start when the connection does.
        self.clock.start(now: context.eventLoop.now)
        self.schedule(context: context)
    }

    private func stop() {
        self.isDone = true
        self.timer?.cancel()
        self.timer = nil
    }

    private func schedule(context: ChannelHandlerContext) {
        guard !self.isDone, let deadline = self.clock.deadline else { return }
        do {
            self.timer = try context.eventLoop.assumeIsolated().scheduleCallback(at: deadline, handler: self)
        } catch {
            // Only an event loop that is shutting down refuses; its channels are closing anyway.
            self.timer = nil
        }
    }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        self.timer = nil
        guard !self.isDone, let context = self.context else { return }
        let peer = context.channel.remoteAddress?.endpointDescription ?? "peer"
        for action in self.clock.fire(now: context.eventLoop.now) {
            switch action {
            case .sendHeartbeat:
                // Only when the connection's writer has no burst on its way (which never cuts
                // into one), and written from here, past this handler's own `write`: a heartbeat
                // is not activity, only what the peer sends proves it is alive. Everything written
                // before has passed this handler already, so the order holds.
                if let frame = self.outbound.heartbeatFrame() {
                    context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
                }
            case .closeForFirstMessage(let after):
                self.close(ConnectionError.firstMessageTimeout(peer: peer, after: after), context: context)
                return
            case .closeForIdleness(let after):
                self.close(ConnectionError.idleTimeout(peer: peer, after: after), context: context)
                return
            }
        }
        self.schedule(context: context)
    }

    private func close(_ error: ConnectionError, context: ChannelHandlerContext) {
        self.stop()
        // The reader learns why before the close ends its stream (the first end wins).
        self.queue.finish(error)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension ConnectionTimeoutHandler: Sendable {}
