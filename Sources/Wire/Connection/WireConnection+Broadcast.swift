public import NIOCore

/// Writing bytes that are already framed, for a broadcast that frames a message once and writes
/// the same bytes to many connections (WireChat's room). Not for general use: the bytes skip the
/// connection's framing and its send backpressure, so the caller must frame them in the
/// connection's own framing and bound what it hands over itself. They leave through the
/// connection's one writer, after whatever was sent before them.
extension WireConnection {
    /// The event loop the connection's I/O runs on; ``writeFramed(_:promise:)`` and
    /// ``flushFramed()`` must be called on it.
    @_spi(Broadcast)
    public var eventLoop: any EventLoop {
        self.channel.eventLoop
    }

    /// Queues bytes that are already framed; `promise` succeeds once the socket has taken them.
    /// Must run on ``eventLoop``.
    @_spi(Broadcast)
    public func writeFramed(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
        self.outbound.writeFramed(bytes, promise: promise)
    }

    /// Hands what ``writeFramed(_:promise:)`` queued to the socket. Must run on ``eventLoop``.
    @_spi(Broadcast)
    public func flushFramed() {
        self.outbound.flushFramed()
    }

    /// Bytes written to the connection that its socket has not taken yet. Must run on
    /// ``eventLoop``.
    @_spi(Broadcast)
    public var unsentBytes: Int {
        Self.unsentBytes(of: self.channel)
    }

    /// Bytes written to `channel` that its socket has not taken yet; 0 for a channel that cannot
    /// tell. Must run on the channel's event loop.
    @_spi(Broadcast)
    public static func unsentBytes(of channel: any Channel) -> Int {
        // Only a channel without the option (none of NIO's sockets) or a closed one throws: it
        // has nothing more to send either way.
        (try? channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0
    }
}
