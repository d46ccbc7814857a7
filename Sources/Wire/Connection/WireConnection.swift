public import NIOCore
public import WireFraming

/// One TCP connection that carries whole messages.
///
/// Read the peer's messages with ``messages``, send your own with ``send(_:)-(ByteBuffer)``. A connection is
/// valid inside the closure that handed it to you; when that closure returns, everything sent has
/// been written and the connection is closed.
///
/// ```swift
/// for try await message in connection.messages {
///     try await connection.send(message)   // echo
/// }
/// ```
public struct WireConnection: Sendable {
    /// The peer's address.
    public let remoteAddress: SocketAddress?
    /// This side's address.
    public let localAddress: SocketAddress?
    /// The framing of both directions.
    public let framing: Framing
    /// The peer's messages, in order; the sequence ends when the peer closes or half-closes.
    ///
    /// It throws a `FramingError` when the peer's bytes break the framing, and a
    /// ``ConnectionError`` when the connection is reset.
    public let messages: IncomingMessages

    let outbound: OutboundBuffer
    let channel: any Channel

    init(
        channel: any Channel,
        inbound: InboundQueue,
        outbound: OutboundBuffer,
        framing: Framing,
        peer: String?,
        usesTLS: Bool = false
    ) {
        self.channel = channel
        self.remoteAddress = channel.remoteAddress
        self.localAddress = channel.localAddress
        self.framing = framing
        let peer = peer ?? "unknown peer"
        self.peerDescription = peer
        self.messages = IncomingMessages(base: inbound, peer: peer, usesTLS: usesTLS)
        self.outbound = outbound
    }

    /// `IP:PORT` of the peer (for a client, the host and port it connected to).
    public let peerDescription: String

    /// Sends one message.
    ///
    /// Messages sent in a burst are written together, with one flush. `send` suspends while too
    /// many bytes wait for a peer that is not reading, so a slow peer never makes this side buffer
    /// without bound. Throws a `FramingError` if the framing cannot carry the message (and sends
    /// nothing), or a ``ConnectionError`` if the connection is closed.
    public func send(_ message: ByteBuffer) async throws {
        try await self.outbound.send(CollectionOfOne(message))
    }

    /// Sends one message holding `text` in UTF-8.
    public func send(_ text: String) async throws {
        try await self.send(ByteBuffer(string: text))
    }

    /// Sends several messages at once; if any cannot be framed, none is sent.
    public func send(contentsOf messages: some Collection<ByteBuffer>) async throws {
        try await self.outbound.send(messages)
    }

    /// Returns once every message sent so far has been handed to the operating system.
    public func drain() async throws {
        try await self.outbound.waitUntilUnwritten(atMost: 0)
    }

    /// Writes out everything sent so far, then closes the sending side (a TCP half-close), so the
    /// peer sees the end of the stream while this side goes on receiving. Later sends throw.
    public func finish() async throws {
        try await self.drain()
        self.outbound.markClosed()
        do {
            try await self.channel.close(mode: .output)
        } catch {
            throw ConnectionError.closed(peer: self.peerDescription)
        }
    }

    /// Closes the connection in both directions at once; unsent messages are dropped.
    public func close() {
        self.channel.close(promise: nil)
    }
}
