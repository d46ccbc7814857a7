import CoreMetrics
import Prometheus
import ServiceLifecycle
import Wire

/// What a server command sets up for the people who run it: the registry its metrics go to, its
/// health, and the metrics port (`--metrics-port`) that serves both.
struct Operations: Sendable {
    let health: Health
    /// `nil` when nothing serves metrics (no metrics port, no web port): nothing is recorded then.
    let endpoints: OperatorEndpoints?
    private let options: MetricsOptions

    /// `servedElsewhere`: the chat server's web port serves them too. `linked`: the room spans
    /// nodes, and is healthy only while linked to them.
    init(options: MetricsOptions, servedElsewhere: Bool = false, linked: Bool = false) {
        self.health = Health(linked: linked)
        self.options = options
        self.endpoints =
            options.metricsPort != nil || servedElsewhere
            ? OperatorEndpoints(registry: PrometheusCollectorRegistry(), health: self.health) : nil
    }

    /// Where the servers record: the registry that `/metrics` shows.
    var metricsFactory: (any MetricsFactory)? {
        self.endpoints.map { PrometheusMetricsFactory(registry: $0.registry) }
    }

    /// The metrics port, when asked for; it says where it listens on `output`.
    func metricsServer(output: StatusLines) -> [any Service] {
        guard let port = self.options.metricsPort, let endpoints = self.endpoints else { return [] }
        return [
            MetricsHTTPServer(host: self.options.metricsHost, port: port, endpoints: endpoints) { address in
                output.line(
                    "Serving metrics on http://\(address.endpointDescription)/metrics (health at /healthz)",
                    ["address": address.endpointDescription]
                )
            }
        ]
    }
}
