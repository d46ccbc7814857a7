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
/// once (exit status 130, as a shell reports an interrupted command).
func runUntilInterrupted(
    _ service: some Service,
    openConnections: @escaping @Sendable () -> Int,
    logger: Logger
) async throws {
    // The group's own debug logging describes every service at length: keep it for warnings.
    var groupLogger = logger
    groupLogger.logLevel = .warning
    let group = ServiceGroup(services: [service], logger: groupLogger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask {
            try await group.run()
        }
        tasks.addTask {
            var interrupted = false
            for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                if interrupted {
                    let open = openConnections()
                    Output.standardError.line("stopped without waiting for \(open) connection\(open == 1 ? "" : "s")")
                    exit(130)
                }
                interrupted = true
                let open = openConnections()
                Output.standardError.line(
                    open == 0
                        ? "shutting down"
                        : "shutting down, \(open) connection\(open == 1 ? "" : "s") open (Ctrl-C again to stop now)"
                )
                await group.triggerGracefulShutdown()
            }
        }
        // The group ends after a graceful shutdown or with an error; the signal watcher never does.
        try await tasks.next()
        tasks.cancelAll()
    }
}
