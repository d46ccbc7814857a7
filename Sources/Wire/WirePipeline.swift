import NIOCore
import WireFraming

/// Builds the pipeline every Wire connection shares: the framing decoder and the async bridge.
/// Sending bypasses the pipeline's async writer: see ``OutboundBuffer``.
enum WirePipeline {
    /// How many batches of decoded messages (one per read burst) may wait for the consumer before
    /// the connection stops reading.
    static let backPressure = NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark(
        lowWatermark: 2,
        highWatermark: 8
    )

    /// Adds Wire's handlers to `channel` and wraps it; must run on the channel's event loop.
    static func wrap(
        _ channel: any Channel,
        framing: Framing,
        maximumMessageSize: Int
    ) throws -> NIOAsyncChannel<[ByteBuffer], Never> {
        let operations = channel.pipeline.syncOperations
        try operations.addHandler(
            MessageBatchDecoder(decoder: MessageDecoder(framing: framing, maximumMessageSize: maximumMessageSize))
        )
        return try NIOAsyncChannel(
            wrappingChannelSynchronously: channel,
            configuration: NIOAsyncChannel.Configuration(
                backPressureStrategy: Self.backPressure,
                isOutboundHalfClosureEnabled: false,
                inboundType: [ByteBuffer].self,
                outboundType: Never.self
            )
        )
    }

    /// Hands a wrapped channel to `body` as a ``WireConnection``; when `body` returns, waits for
    /// everything sent to be written, then closes the channel. With `runsOnEventLoop`, `body` runs
    /// on the channel's event loop (see ``EventLoopTaskExecutor``).
    static func withConnection<Result: Sendable>(
        _ asyncChannel: NIOAsyncChannel<[ByteBuffer], Never>,
        framing: Framing,
        maximumMessageSize: Int,
        runsOnEventLoop: Bool,
        _ body: (WireConnection) async throws -> Result
    ) async throws -> Result {
        try await asyncChannel.executeThenClose { inbound, _ in
            let connection = WireConnection(
                channel: asyncChannel.channel,
                inbound: inbound,
                framing: framing,
                maximumMessageSize: maximumMessageSize
            )
            let executor = runsOnEventLoop ? EventLoopTaskExecutor(asyncChannel.channel.eventLoop) : nil
            let result = try await withTaskExecutorPreference(executor) {
                try await body(connection)
            }
            // The peer may be gone already; what it did not take is lost either way.
            do { try await connection.drain() } catch {}
            return result
        }
    }
}
