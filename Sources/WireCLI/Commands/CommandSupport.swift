import Logging

/// A duration from a flag in seconds, where 0 means "no limit".
func seconds(_ value: Double) -> Duration? {
    value > 0 ? .milliseconds(Int64(value * 1000)) : nil
}

func makeLogger(label: String, verbose: Bool, format: LogFormat = .text) -> Logger {
    var logger = Logger(
        label: label,
        factory: { label in
            switch format {
            case .text: StreamLogHandler.standardError(label: label)
            case .json: JSONLogHandler(label: label)
            }
        }
    )
    logger.logLevel = verbose ? .debug : .warning
    return logger
}
