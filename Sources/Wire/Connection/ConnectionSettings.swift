import WireFraming

/// What a connection's configuration fixes for its whole life: built once from a
/// ``ServerConfiguration`` or ``ClientConfiguration``, used to set up the channel, and carried by
/// the channel into the ``WireConnection``. Server and client share this one setup path.
///
/// A class, so that the thousands of connections of one server share one instance: each holds a
/// reference, not a copy (an idle connection's memory counts).
final class ConnectionSettings: Sendable {
    /// Who proves to whom that it knows the shared secret, first.
    enum Handshake: Sendable {
        /// No shared secret.
        case none
        /// This side accepted the connection: it challenges the client first.
        case server(any ConnectionAuthenticator, timeout: Duration)
        /// This side connected: it answers the server's challenge first.
        case client(any ConnectionAuthenticator, timeout: Duration)
    }

    let framing: Framing
    let maximumMessageSize: Int
    let timeouts: ConnectionTimeouts
    let tls: (any ConnectionSecurity)?
    let handshake: Handshake
    /// What a server's connections record (a client's record nothing).
    let metrics: ConnectionMetrics?

    init(
        framing: Framing,
        maximumMessageSize: Int,
        timeouts: ConnectionTimeouts,
        tls: (any ConnectionSecurity)?,
        handshake: Handshake,
        metrics: ConnectionMetrics? = nil
    ) {
        self.framing = framing
        self.maximumMessageSize = maximumMessageSize
        self.timeouts = timeouts
        self.tls = tls
        self.handshake = handshake
        self.metrics = metrics
    }

    /// Runs the shared-secret handshake on a new connection, if there is one.
    func authenticate(_ connection: WireConnection) async throws {
        switch self.handshake {
        case .none:
            return
        case .server(let secret, let timeout):
            try await secret.authenticateClient(connection, timeout: timeout)
        case .client(let secret, let timeout):
            try await secret.authenticateServer(connection, timeout: timeout)
        }
    }
}

extension ServerConfiguration {
    /// The idle and first-message timeouts and the heartbeat interval, for a connection's clock.
    package var timeouts: ConnectionTimeouts {
        ConnectionTimeouts(
            idle: self.idleTimeout,
            firstMessage: self.firstMessageTimeout,
            heartbeat: self.heartbeatInterval
        )
    }

    func connectionSettings(metrics: ConnectionMetrics) -> ConnectionSettings {
        ConnectionSettings(
            framing: self.framing,
            maximumMessageSize: self.maximumMessageSize,
            timeouts: self.timeouts,
            tls: self.tls,
            handshake: self.secret.map { .server($0, timeout: self.authenticationTimeout) } ?? .none,
            metrics: metrics
        )
    }
}

extension ClientConfiguration {
    var connectionSettings: ConnectionSettings {
        ConnectionSettings(
            framing: self.framing,
            maximumMessageSize: self.maximumMessageSize,
            timeouts: ConnectionTimeouts(idle: self.idleTimeout, heartbeat: self.heartbeatInterval),
            tls: self.tls,
            handshake: self.secret.map { .client($0, timeout: self.authenticationTimeout) } ?? .none
        )
    }
}
