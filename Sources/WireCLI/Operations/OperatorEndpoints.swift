import Prometheus
import WireChat

/// What the metrics port (and the chat server's web port) answers for operators: `/metrics` in
/// Prometheus's text format, from the registry the servers record into, and `/healthz`.
struct OperatorEndpoints: Sendable {
    let registry: PrometheusCollectorRegistry
    let health: Health

    /// The answer for `path`: one of the two, or 404.
    func response(for path: String) -> ChatWebResponse {
        switch path {
        case "/metrics":
            return ChatWebResponse(
                status: 200,
                contentType: "text/plain; version=0.0.4; charset=utf-8",
                body: self.registry.emitToString()
            )
        case "/healthz":
            if let problem = self.health.problem {
                return ChatWebResponse(status: 503, contentType: "text/plain; charset=utf-8", body: problem + "\n")
            }
            return ChatWebResponse(status: 200, contentType: "text/plain; charset=utf-8", body: "ok\n")
        default:
            return ChatWebResponse(
                status: 404,
                contentType: "text/plain; charset=utf-8",
                body: "Not found: metrics are at /metrics, health at /healthz.\n"
            )
        }
    }

    /// The same, as extra pages of the chat server's web port.
    var webPages: [String: @Sendable () -> ChatWebResponse] {
        var pages: [String: @Sendable () -> ChatWebResponse] = [:]
        for path in ["/metrics", "/healthz"] {
            pages[path] = { self.response(for: path) }
        }
        return pages
    }
}
