import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
@_spi(Broadcast) import Wire

/// A child channel of the web port, set up: TLS, the first request's
/// deadline and the idle closer, then HTTP that upgrades to a WebSocket member at `/chat`
/// (which then runs on a TCP member's clock) or answers a page request.
extension ChatWebServer {
    static func configure(
        _ channel: any Channel,
        server: ServerConfiguration
    ) throws -> EventLoopFuture<Upgrade> {
        let maximumFrameSize = min(server.maximumMessageSize, Int(UInt32.max))
        let (tls, timeouts) = (server.tls, server.timeouts)
        // With the server's certificate, the page and the WebSocket go over TLS too (https://
        // and wss://).
        if let tls {
            try channel.pipeline.syncOperations.addHandlers(try tls.makeHandlers(host: nil))
        }
        // A first request is due within the first-message timeout, as a TCP
        // client's username is.
        if let first = timeouts.firstMessage {
            try channel.pipeline.syncOperations.addHandler(
                WebRequestDeadline(timeout: first),
                name: WebRequestDeadline.name
            )
        }
        // Page requests kept alive are closed when idle, as idle TCP members are;
        // a browser member has a clock of its own after the upgrade.
        if let idle = timeouts.idle {
            try channel.pipeline.syncOperations.addHandler(
                IdleStateHandler(allTimeout: TimeAmount(idle)),
                name: Self.httpIdleName
            )
            try channel.pipeline.syncOperations.addHandler(
                WebIdleCloser(after: idle),
                name: Self.httpIdleCloserName
            )
        }
        let upgrader = NIOTypedWebSocketServerUpgrader<Upgrade>(
            maxFrameSize: maximumFrameSize,
            shouldUpgrade: { channel, head in
                // Only /chat is a WebSocket endpoint; anything else stays HTTP.
                channel.eventLoop.makeSucceededFuture(
                    Self.path(of: head) == "/chat" ? HTTPHeaders() : nil
                )
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    // The member's username deadline, idle timeout and heartbeats,
                    // on the same clock as a TCP member's, instead of the page's.
                    if timeouts.firstMessage != nil {
                        channel.pipeline.syncOperations.removeHandler(
                            name: WebRequestDeadline.name,
                            promise: nil
                        )
                    }
                    if timeouts.idle != nil {
                        channel.pipeline.syncOperations.removeHandler(
                            name: Self.httpIdleName,
                            promise: nil
                        )
                        channel.pipeline.syncOperations.removeHandler(
                            name: Self.httpIdleCloserName,
                            promise: nil
                        )
                    }
                    if timeouts.areSet {
                        try channel.pipeline.syncOperations.addHandler(
                            WebSocketTimeoutHandler(timeouts: timeouts)
                        )
                    }
                    return .websocket(try NIOAsyncChannel(wrappingChannelSynchronously: channel))
                }
            }
        )
        let upgrade = NIOTypedHTTPServerUpgradeConfiguration<Upgrade>(
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    // A first request came in time: a page request.
                    if timeouts.firstMessage != nil {
                        channel.pipeline.syncOperations.removeHandler(
                            name: WebRequestDeadline.name,
                            promise: nil
                        )
                    }
                    try channel.pipeline.syncOperations.addHandler(HTTPByteBufferResponsePartHandler())
                    return .http(try NIOAsyncChannel(wrappingChannelSynchronously: channel))
                }
            }
        )
        return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
            configuration: .init(upgradeConfiguration: upgrade)
        )
    }
}
