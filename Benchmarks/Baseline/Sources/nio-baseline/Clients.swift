import NIOCore
import NIOPosix

/// sink client: writes a batch of frames then flushes, while the channel is writable; half-closes
/// after the last one and waits for the server's count.
final class SinkClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let payload: ByteBuffer
    private let batch: Int
    private var remaining: Int
    let done: EventLoopPromise<Int>

    init(count: Int, size: Int, eventLoop: any EventLoop) {
        self.payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: size)
        self.batch = max(1, min(512, 65536 / (size + 4)))
        self.remaining = count
        self.done = eventLoop.makePromise()
    }

    func channelActive(context: ChannelHandlerContext) {
        self.send(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.send(context: context)
    }

    private func send(context: ChannelHandlerContext) {
        while self.remaining > 0 && context.channel.isWritable {
            for _ in 0..<min(self.batch, self.remaining) {
                context.write(Self.wrapOutboundOut(self.payload), promise: nil)
                self.remaining -= 1
            }
            context.flush()
            if self.remaining == 0 {
                context.close(mode: .output, promise: nil)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.done.succeed(Int(String(buffer: Self.unwrapInboundIn(data))) ?? -1)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.done.fail(error)
        context.close(promise: nil)
    }
}

/// echo client: one frame out, wait for it back, repeat; records each round trip.
final class EchoClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let payload: ByteBuffer
    private let warmup: Int
    private let count: Int
    private var round = 0
    private var sentAt = NIODeadline.now()
    private(set) var samples: [Int64] = []
    let done: EventLoopPromise<[Int64]>

    init(count: Int, warmup: Int, size: Int, eventLoop: any EventLoop) {
        self.payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: size)
        self.count = count
        self.warmup = warmup
        self.done = eventLoop.makePromise()
        self.samples.reserveCapacity(count)
    }

    func channelActive(context: ChannelHandlerContext) {
        self.send(context: context)
    }

    private func send(context: ChannelHandlerContext) {
        self.sentAt = .now()
        context.writeAndFlush(Self.wrapOutboundOut(self.payload), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let elapsed = NIODeadline.now() - self.sentAt
        if self.round >= self.warmup {
            self.samples.append(elapsed.nanoseconds)
        }
        self.round += 1
        if self.round == self.warmup + self.count {
            self.done.succeed(self.samples)
            context.close(promise: nil)
        } else {
            self.send(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.done.fail(error)
        context.close(promise: nil)
    }
}

func connect(host: String, port: Int, framing: Framing, handler: any ChannelHandler & Sendable) throws -> any Channel {
    try ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .channelOption(.allowRemoteHalfClosure, value: true)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let operations = channel.pipeline.syncOperations
                try operations.addHandler(ByteToMessageHandler(FrameDecoder(framing: framing)))
                try operations.addHandler(FramePrepender(framing: framing))
                try operations.addHandler(handler)
            }
        }
        .connect(host: host, port: port).wait()
}

// Each client handler is created on the main thread before the connection exists, handed to the
// channel initializer, and from then on touched only on its channel's event loop; the main thread
// reads nothing but `done`, an `EventLoopPromise`, which is Sendable.
extension SinkClientHandler: @unchecked Sendable {}
extension EchoClientHandler: @unchecked Sendable {}
