import Logging

/// Where a server's own lines go, and in which form (``LogFormat``).
struct StatusLines: Sendable {
    let write: @Sendable (String) -> Void
    let format: LogFormat

    init(format: LogFormat = .text, _ write: @escaping @Sendable (String) -> Void) {
        self.write = write
        self.format = format
    }

    /// Writes `text`, or with `--log-format json` an object with it as the message, `level` and
    /// `metadata` (the event's parts, for a collector to filter on).
    func line(_ text: String, level: Logger.Level = .info, _ metadata: [String: String] = [:]) {
        switch self.format {
        case .text:
            self.write(text)
        case .json:
            self.write(LogRecord(level: level, message: text, metadata: metadata).line)
        }
    }
}
