public import NIOCore

/// TLS for a server's or a client's connections, as the core sees it: the handlers to put at the
/// front of each new channel.
///
/// `WireTLS`, in the `WireSecurity` module, is the implementation (swift-nio-ssl). The core does
/// not depend on it, so that a program of plain framed TCP does not build BoringSSL. The handlers
/// must report a failed handshake as a ``ConnectionError`` of kind `.tlsHandshake`.
public protocol ConnectionSecurity: Sendable {
    /// The handlers for one new channel to or from `host`, in pipeline order.
    func makeHandlers(host: String?) throws -> [any ChannelHandler]
}

/// A handshake that proves both ends share a secret before any message, as the core sees it.
///
/// `SharedSecret`, in the `WireSecurity` module, is the implementation (`multiprocessing.connection`'s
/// authkey handshake, swift-crypto's HMAC).
public protocol ConnectionAuthenticator: Sendable {
    /// The accepting side: challenge the client first, then answer its challenge.
    func authenticateClient(_ connection: WireConnection, timeout: Duration) async throws
    /// The connecting side: answer the server's challenge first, then challenge it.
    func authenticateServer(_ connection: WireConnection, timeout: Duration) async throws
}

extension WireConnection {
    /// The next message alone, for a handshake that must not read ahead of itself: the rest of
    /// its read burst stays queued for the connection's reader.
    package func nextHandshakeMessage() async throws -> ByteBuffer? {
        try await self.messages.base.nextMessage()
    }

    /// The connection's channel, for a handshake's own timer.
    package var handshakeChannel: any Channel {
        self.channel
    }
}
