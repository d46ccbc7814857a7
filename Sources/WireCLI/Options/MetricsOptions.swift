import ArgumentParser

/// The servers' `--metrics-port` and `--metrics-host`.
struct MetricsOptions: ParsableArguments {
    @Option(
        help:
            "Serve Prometheus metrics at /metrics and health at /healthz on this port (0 picks a free one)."
    )
    var metricsPort: Int?

    @Option(help: "Host name or IP address of the metrics port.")
    var metricsHost = "127.0.0.1"

    func validate() throws {
        if let port = self.metricsPort, !(0...65535).contains(port) {
            throw ValidationError("--metrics-port must be a number from 0 to 65535; got \(port).")
        }
    }
}
