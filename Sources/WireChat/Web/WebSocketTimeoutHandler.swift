import NIOCore
import NIOWebSocket
import Wire

/// A browser member's timeouts and heartbeats, kept by the same ``ConnectionClock`` as a TCP
/// member's: no username within the first-message timeout closes it, no text either way for the
/// idle timeout closes it, and with a heartbeat interval, a WebSocket ping goes out whenever the
/// server has written nothing for that long. Browsers answer pings by themselves; a pong (or a
/// ping of the browser's) is a heartbeat received, which keeps a member that only reads in the
/// room, while a browser that is gone stops answering and is closed. The pings sent are not
/// activity.
///
/// Sits after the WebSocket codec, so it sees frames; the timer is a NIO scheduled callback.
final class WebSocketTimeoutHandler: ChannelDuplexHandler, NIOScheduledCallbackHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var clock: ConnectionClock
    private var timer: NIOScheduledCallback?
    private var context: ChannelHandlerContext?
    private var isDone = false

    init(timeouts: ConnectionTimeouts) {
        self.clock = ConnectionClock(timeouts: timeouts, framingAllowsEmptyMessages: true, now: .now())
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

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text where frame.fin, .binary where frame.fin, .continuation where frame.fin:
            // A whole message: the first one is the username.
            self.clock.receivedMessages(now: context.eventLoop.now)
        case .ping, .pong, .text, .binary, .continuation:
            // The browser is there, but a fragment is no message yet (as a TCP member's partial
            // message is none).
            self.clock.receivedHeartbeat(now: context.eventLoop.now)
        default:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.clock.wrote(now: context.eventLoop.now)
        context.write(data, promise: promise)
    }

    private func start(context: ChannelHandlerContext) {
        guard self.timer == nil, !self.isDone else { return }
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
                // Written from here, past this handler's own `write`: not activity.
                let ping = WebSocketFrame(fin: true, opcode: .ping, data: context.channel.allocator.buffer(capacity: 0))
                context.writeAndFlush(Self.wrapOutboundOut(ping), promise: nil)
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
        // The member's stream ends with the reason, then the connection closes.
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension WebSocketTimeoutHandler: Sendable {}
