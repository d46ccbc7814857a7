import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs a server until SIGINT or SIGTERM, as a user expects of Ctrl-C: the first says how many
/// connections are still open and lets them finish within the grace period; a second one stops at
/// once (exit status 130, as a shell reports an interrupted command). SIGHUP calls `onHangUp`
/// (the servers read their certificates again), and is ignored without it.
func runUntilInterrupted(
    _ service: some Service,
    beside others: [any Service] = [],
    openConnections: @escaping @Sendable () -> Int,
    logger: Logger,
    lines: StatusLines = StatusLines { Output.standardError.line($0) },
    onShutdown: @escaping @Sendable () -> Void = {},
    onHangUp: (@Sendable () -> Void)? = nil
) async throws {
    // The group's own debug logging describes every service at length: keep it for warnings.
    var groupLogger = logger
    groupLogger.logLevel = .warning
    // Shut down last first: the server, then what stands beside it (the metrics port answers
    // "shutting down" meanwhile). When the server ends, they end with it.
    let group = ServiceGroup(services: others + [service], logger: groupLogger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask {
            try await group.run()
        }
        tasks.addTask {
            var interrupted = false
            // Without a use for SIGHUP, it keeps its default (a closed terminal ends the server).
            let signals: [UnixSignal] = onHangUp == nil ? [.sigint, .sigterm] : [.sigint, .sigterm, .sighup]
            for await signal in await UnixSignalsSequence(trapping: signals) {
                if signal == .sighup {
                    onHangUp?()
                    continue
                }
                let open = openConnections()
                if interrupted {
                    lines.line(
                        "stopped without waiting for \(open) connection\(open == 1 ? "" : "s")",
                        level: .warning,
                        ["open_connections": "\(open)"]
                    )
                    exit(130)
                }
                interrupted = true
                onShutdown()
                lines.line(
                    open == 0
                        ? "shutting down"
                        : "shutting down, \(open) connection\(open == 1 ? "" : "s") open (Ctrl-C again to stop now)",
                    level: .notice,
                    ["open_connections": "\(open)"]
                )
                await group.triggerGracefulShutdown()
            }
        }
        // The group ends after a graceful shutdown or with an error; the signal watcher never does.
        try await tasks.next()
        tasks.cancelAll()
    }
}
