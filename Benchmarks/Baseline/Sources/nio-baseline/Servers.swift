import NIOCore
import NIOPosix

/// sink: counts frames; when the peer half-closes, replies with the count and closes.
final class SinkHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var count = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.count += 1
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case .some(.inputClosed) = event as? ChannelEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        let reply = context.channel.allocator.buffer(string: String(self.count))
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(reply)).whenComplete { _ in channel.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// echo: writes every frame back and flushes once per read burst.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

func runServer(mode: String, host: String, port: Int, framing: Framing) throws {
    let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.backlog, value: 4096)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.allowRemoteHalfClosure, value: true)
        .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let operations = channel.pipeline.syncOperations
                try operations.addHandler(ByteToMessageHandler(FrameDecoder(framing: framing)))
                try operations.addHandler(FramePrepender(framing: framing))
                try operations.addHandler(mode == "sink" ? SinkHandler() as any ChannelHandler : EchoHandler())
            }
        }
    let channel = try bootstrap.bind(host: host, port: port).wait()
    print("nio-baseline \(mode) server listening on \(channel.localAddress!)")
    try channel.closeFuture.wait()
}
