import ArgumentParser
import Logging

extension LogFormat: ExpressibleByArgument {}

/// The servers' `--log-format`.
struct LogOptions: ParsableArguments {
    @Option(
        help: """
            How the server writes its own lines: text, or json (one object per line: time, level, message, metadata).
            """
    )
    var logFormat: LogFormat = .text

    /// The server's own lines, in the chosen format, through `write`.
    func lines(_ write: @escaping @Sendable (String) -> Void) -> StatusLines {
        StatusLines(format: self.logFormat, write)
    }

    /// swift-log's lines on standard error, in the chosen format.
    func logger(label: String, verbose: Bool) -> Logger {
        makeLogger(label: label, verbose: verbose, format: self.logFormat)
    }
}
