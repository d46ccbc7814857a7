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
                body: Self.sortedByName(self.registry.emitToString())
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

    /// The registry's page with its metrics (each `# TYPE` line and its samples) in the order of
    /// their names, and each one's samples in the order of their labels: the same page from one
    /// scrape to the next, for people reading it.
    static func sortedByName(_ page: String) -> String {
        var families: [[Substring]] = []
        for line in page.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") || families.isEmpty {
                families.append([line])
            } else {
                families[families.count - 1].append(line)
            }
        }
        let sorted = families.map { family in [family[0]] + family.dropFirst().sorted() }
            .sorted { $0[0] < $1[0] }
        return sorted.joined().map { $0 + "\n" }.joined()
    }
}
