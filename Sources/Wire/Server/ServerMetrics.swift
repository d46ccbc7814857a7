public import CoreMetrics

/// What a server records through swift-metrics, named as Prometheus expects: counters end in
/// `_total`, sizes are in bytes. `listener` tells one port of a program from another (`tcp`, and
/// `web` for the chat server's web port). Wire only records: the program chooses the backend
/// (`MetricsSystem.bootstrap`), or passes one in ``ServerConfiguration/metricsFactory``.
package struct ServerMetrics: Sendable {
    /// `wire_connections_open`: connections being served now.
    package let open: Meter
    /// `wire_connections_accepted_total`: connections accepted and served.
    package let accepted: Counter
    /// `wire_connections_refused_total{reason="full"}`: turned away at the connection limit.
    package let refusedFull: Counter
    /// `wire_connections_refused_total{reason="authentication"}`: failed the shared-secret handshake.
    package let refusedAuthentication: Counter
    /// What each connection records.
    package let connection: ConnectionMetrics

    package init(factory: any MetricsFactory, listener: String) {
        let port = [("listener", listener)]
        self.open = Meter(label: "wire_connections_open", dimensions: port, factory: factory)
        self.accepted = Counter(label: "wire_connections_accepted_total", dimensions: port, factory: factory)
        self.refusedFull = Counter(
            label: "wire_connections_refused_total",
            dimensions: port + [("reason", "full")],
            factory: factory
        )
        self.refusedAuthentication = Counter(
            label: "wire_connections_refused_total",
            dimensions: port + [("reason", "authentication")],
            factory: factory
        )
        self.connection = ConnectionMetrics(factory: factory, listener: listener)
    }
}

/// What one connection of a server records: bytes each way and framing errors. Counted per read
/// burst and per write, not per message, so that recording costs the hot path next to nothing.
package struct ConnectionMetrics: Sendable {
    /// `wire_received_bytes_total`: bytes read from sockets (after TLS).
    package let receivedBytes: Counter
    /// `wire_sent_bytes_total`: bytes handed to sockets (before TLS).
    package let sentBytes: Counter
    /// `wire_framing_errors_total`: connections closed for breaking their framing.
    package let framingErrors: Counter

    package init(factory: any MetricsFactory, listener: String) {
        let port = [("listener", listener)]
        self.receivedBytes = Counter(label: "wire_received_bytes_total", dimensions: port, factory: factory)
        self.sentBytes = Counter(label: "wire_sent_bytes_total", dimensions: port, factory: factory)
        self.framingErrors = Counter(label: "wire_framing_errors_total", dimensions: port, factory: factory)
    }
}
