import NIOCore
import WireFraming

/// A channel set up for Wire: its framing decoder feeds `inbound`.
struct WireChannel: Sendable {
    let channel: any Channel
    let inbound: InboundQueue
    /// The connection's one writer.
    let outbound: OutboundBuffer
    /// How the channel was set up, for the connection made of it.
    let settings: ConnectionSettings
    /// `IP:PORT` of the peer, taken while the channel is open: a closed channel forgets it.
    var peer: String?
    /// Whether the connection speaks TLS.
    var usesTLS = false
}

/// Builds the pipeline every Wire connection shares: the framing decoder that feeds the
/// connection's ``InboundQueue`` and, with timeouts, the handler that keeps its clock. Every byte
/// sent leaves through the connection's ``OutboundBuffer``.
enum WirePipeline {
    /// Fixed reads of `size` bytes when asked (the tutorial's `recv(N)`); otherwise reads that
    /// start at 512 bytes and grow up to 1 MiB under bulk traffic, so that a large message takes a
    /// few reads instead of many. NIO keeps each channel's last receive buffer for its next read:
    /// a connection that said a few bytes and went quiet (a chat member after its username) holds
    /// that first buffer, 512 bytes rather than 2 KiB (13.2 against 14.7 KB per quiet member;
    /// fan-out throughput the same).
    static func receiveAllocator(_ size: Int?) -> any RecvByteBufferAllocator {
        if let size {
            return FixedSizeRecvByteBufferAllocator(capacity: size)
        }
        return AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 1 << 20)
    }

    /// Adds Wire's handlers to `channel` as `settings` say; must run on the channel's event loop.
    /// `peer` names the other side in errors (the accepted peer's address by default).
    static func wrap(
        _ channel: any Channel,
        settings: ConnectionSettings,
        host: String? = nil,
        peer: String? = nil
    ) throws -> WireChannel {
        let peer = peer ?? channel.remoteAddress?.endpointDescription
        let queue = InboundQueue(channel: channel)
        let outbound = OutboundBuffer(
            channel: channel,
            encoder: MessageEncoder(framing: settings.framing, maximumMessageSize: settings.maximumMessageSize),
            peer: peer ?? "unknown peer",
            sentBytes: settings.metrics?.sentBytes
        )
        if let tls = settings.tls {
            try channel.pipeline.syncOperations.addHandlers(try tls.makeHandlers(host: host))
        }
        try channel.pipeline.syncOperations.addHandler(
            MessageBatchDecoder(
                decoder: MessageDecoder(framing: settings.framing, maximumMessageSize: settings.maximumMessageSize),
                queue: queue,
                timeouts: settings.timeouts,
                metrics: settings.metrics
            )
        )
        if settings.timeouts.areSet {
            try channel.pipeline.syncOperations.addHandler(
                ConnectionTimeoutHandler(
                    timeouts: settings.timeouts,
                    framing: settings.framing,
                    queue: queue,
                    outbound: outbound
                )
            )
        }
        return WireChannel(
            channel: channel,
            inbound: queue,
            outbound: outbound,
            settings: settings,
            peer: peer,
            usesTLS: settings.tls != nil
        )
    }

    /// Hands a wrapped channel to `body` as a ``WireConnection``; when `body` returns, waits for
    /// everything sent to be written, then closes the channel (unless `keepsOpen` says that
    /// `body` handed the connection on to something that closes it). With `runsOnEventLoop`,
    /// `body` runs on the channel's event loop (see ``EventLoopTaskExecutor``).
    static func withConnection<Result: Sendable>(
        _ wireChannel: WireChannel,
        runsOnEventLoop: Bool,
        authenticates: Bool = true,
        keepsOpen: (Result) -> Bool = { _ in false },
        isolation: isolated (any Actor)? = #isolation,
        _ body: (WireConnection) async throws -> Result
    ) async throws -> Result {
        let channel = wireChannel.channel
        let settings = wireChannel.settings
        let connection = WireConnection(
            channel: channel,
            inbound: wireChannel.inbound,
            outbound: wireChannel.outbound,
            framing: settings.framing,
            peer: wireChannel.peer ?? channel.remoteAddress?.endpointDescription,
            usesTLS: wireChannel.usesTLS
        )
        let executor = runsOnEventLoop ? EventLoopTaskExecutor(channel.eventLoop) : nil
        do {
            let result = try await withTaskExecutorPreference(executor, isolation: isolation) {
                if authenticates {
                    try await settings.authenticate(connection)
                }
                return try await body(connection)
            }
            if keepsOpen(result) { return result }
            do {
                try await connection.drain()
            } catch {
                // The peer is gone already (or the task was cancelled): what it did not take is
                // lost either way, and the body's result stands.
            }
            channel.close(promise: nil)
            return result
        } catch {
            if error is FramingError {
                // The peer broke the framing: abort with a reset rather than a normal close, so
                // that it sees an error (a reset) instead of an ordinary end of the stream.
                SystemError.reset(channel)
            } else {
                channel.close(promise: nil)
            }
            throw error
        }
    }
}
