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
/// Sits after the WebSocket codec, so it sees frames; the room's records pass it by (they are
/// framed by the member and written past the encoder), and ``WebSocketFramedWriter`` tells its
/// clock when it writes them. The clock runs as ``ClockDrivenHandler`` runs it for a TCP connection.
final class WebSocketTimeoutHandler: ChannelDuplexHandler, ClockDrivenHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    var clock: ConnectionClock
    var clockTimer = ClockTimer()

    init(timeouts: ConnectionTimeouts) {
        self.clock = ConnectionClock(timeouts: timeouts, framingAllowsEmptyMessages: true, now: .now())
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

    func sendHeartbeat(context: ChannelHandlerContext) {
        // Written from here, past this handler's own `write`: not activity.
        let ping = WebSocketFrame(fin: true, opcode: .ping, data: context.channel.allocator.buffer(capacity: 0))
        context.writeAndFlush(Self.wrapOutboundOut(ping), promise: nil)
    }

    func timedOut(_ error: ConnectionError, context: ChannelHandlerContext) {
        // The member's stream ends with the reason, then the connection closes.
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension WebSocketTimeoutHandler: Sendable {}
