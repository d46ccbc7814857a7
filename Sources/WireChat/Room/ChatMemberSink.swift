import NIOCore
@_spi(Broadcast) import Wire

/// Where the room writes a member's records: a TCP connection in the room's framing, or another
/// kind of member (a browser over WebSocket) that turns the same framed bytes into its own form.
///
/// Every method but `eventLoop` runs on `eventLoop`.
protocol ChatMemberSink: Sendable {
    var eventLoop: any EventLoop { get }
    /// Queues records, framed in the room's framing; `promise` succeeds once the member's socket
    /// has taken them. An empty buffer only waits for what was queued before it.
    func writeFramed(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?)
    /// Hands what was queued to the socket.
    func flushFramed()
    /// Bytes queued that the socket has not taken yet: how a member that is still reading shows it.
    var unsentBytes: Int { get }
    /// Closes the member's connection.
    func close()
}

extension WireConnection: ChatMemberSink {}
