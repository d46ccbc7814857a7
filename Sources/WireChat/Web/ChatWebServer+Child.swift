import Logging
import NIOCore
import NIOPosix
@_spi(Broadcast) import Wire

/// The web port is served as the TCP port is (`ChildChannelServer`: the connection limit, the
/// registry, metrics with `listener="web"` and the graceful shutdown); what differs is its
/// pipeline and what a connection becomes: a browser member or page requests.
extension ChatWebServer: ServerChildChannel {
    /// Reads sized as a TCP member's are: a browser's messages are small, and a quiet one holds
    /// no large read buffer.
    func childChannelOptions(_ bootstrap: ServerBootstrap) -> ServerBootstrap {
        bootstrap.childChannelOption(
            .recvAllocator,
            value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 1 << 20)
        )
    }

    func setup(channel: any Channel) throws -> EventLoopFuture<Connection> {
        let upgrade = try Self.configure(channel, server: self.configuration.server)
        return channel.eventLoop.makeSucceededFuture(Connection(channel: channel, upgrade: upgrade))
    }

    /// Closed as soon as it is active, before its first request is read: neither HTTP nor a
    /// WebSocket has a word for it that a browser would show.
    func setup(refusing channel: any Channel, because error: ConnectionError) throws -> EventLoopFuture<Connection> {
        try channel.pipeline.syncOperations.addHandler(CloseWhenActiveHandler())
        return channel.eventLoop.makeSucceededFuture(
            Connection(channel: channel, upgrade: channel.eventLoop.makeFailedFuture(error))
        )
    }

    func channel(of connection: Connection) -> any Channel {
        connection.channel
    }

    func handle(_ connection: Connection) async {
        do {
            switch try await connection.upgrade.get() {
            case .websocket(let member):
                await self.serve(member)
            case .http(let http):
                try await self.answer(http)
            }
        } catch {
            self.logger.debug("web connection failed", metadata: ["error": "\(error)"])
        }
    }

    /// Closed already (``setup(refusing:because:)``).
    func refuse(_ connection: Connection, because error: ConnectionError) async {
        connection.channel.close(promise: nil)
    }
}

/// Closes a connection as soon as it is active, before anything is read from it.
final class CloseWhenActiveHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            context.close(promise: nil)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension CloseWhenActiveHandler: Sendable {}
