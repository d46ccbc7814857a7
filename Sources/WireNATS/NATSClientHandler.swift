import NIOCore

/// The end of a NATS connection's pipeline: hands what the server sends to the client's core, and
/// tells it when the connection can take more bytes or is gone.
final class NATSClientHandler: ChannelInboundHandler {
    typealias InboundIn = NATSServerOperation

    private let core: NATSConnectionCore
    private var error: (any Error)?

    init(core: NATSConnectionCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.core.received(Self.unwrapInboundIn(data), on: context.channel)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.core.writabilityChanged(on: context.channel)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The first error says why the connection ends; the core logs it when the channel closes.
        if self.error == nil { self.error = error }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.core.closed(context.channel, error: self.error)
        context.fireChannelInactive()
    }
}
