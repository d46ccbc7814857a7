import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
@_spi(Broadcast) import Wire

/// A child channel of the web port, set up: TLS, the page's timeouts
/// (``WebPageTimeoutHandler``), then HTTP that upgrades to a WebSocket member at `/chat`
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
        // A first request is due within the first-message timeout, as a TCP client's username
        // is, and page requests kept alive are closed when idle, as idle TCP members are: on
        // the same clock; a browser member has a clock of its own after the upgrade.
        if timeouts.firstMessage != nil || timeouts.idle != nil {
            try channel.pipeline.syncOperations.addHandler(
                WebPageTimeoutHandler(timeouts: timeouts),
                name: WebPageTimeoutHandler.name
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
                    if timeouts.firstMessage != nil || timeouts.idle != nil {
                        channel.pipeline.syncOperations.removeHandler(
                            name: WebPageTimeoutHandler.name,
                            promise: nil
                        )
                    }
                    let clock = timeouts.areSet ? WebSocketTimeoutHandler(timeouts: timeouts) : nil
                    if let clock {
                        try channel.pipeline.syncOperations.addHandler(clock)
                    }
                    // Its messages, in a queue its session and then its relay read.
                    let queue = InboundQueue(channel: channel)
                    let texts = WebSocketTexts(queue: queue, maximumMessageSize: server.maximumMessageSize)
                    try channel.pipeline.syncOperations.addHandler(texts)
                    // The room's records, framed by the member, written past the encoder: nothing
                    // but TLS may come between it and the socket.
                    let writer = WebSocketFramedWriter(timeouts: clock)
                    let encoder = try channel.pipeline.syncOperations.handler(type: WebSocketFrameEncoder.self)
                    try channel.pipeline.syncOperations.addHandler(writer, position: .before(encoder))
                    return .websocket(
                        BrowserChannel(
                            channel: channel,
                            queue: queue,
                            texts: NIOLoopBound(texts, eventLoop: channel.eventLoop),
                            writer: NIOLoopBound(writer, eventLoop: channel.eventLoop)
                        )
                    )
                }
            }
        )
        let upgrade = NIOTypedHTTPServerUpgradeConfiguration<Upgrade>(
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    // A first request came in time: a page request, kept while not idle.
                    if let context = try? channel.pipeline.syncOperations.context(name: WebPageTimeoutHandler.name),
                        let timeouts = context.handler as? WebPageTimeoutHandler
                    {
                        timeouts.firstRequestRead(context: context)
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
