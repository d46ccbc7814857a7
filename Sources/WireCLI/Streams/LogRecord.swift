import Foundation
import Logging

/// How a server writes its own lines: as today's sentences, or one JSON object per line for a log
/// collector (`--log-format json`). The events are the same either way.
enum LogFormat: String, CaseIterable, Sendable {
    case text
    case json
}

/// One line of a server's log as a JSON object: `time` (UTC, RFC 3339 with milliseconds), `level`
/// (swift-log's names), `message` (the sentence the text format prints) and, when there is any,
/// `metadata` (string values). Keys sorted, one object per line.
struct LogRecord: Encodable {
    var time: String
    var level: String
    var message: String
    var metadata: [String: String]?

    init(level: Logger.Level, message: String, metadata: [String: String], at date: Date = Date()) {
        self.time = Self.timestamp(date)
        self.level = level.rawValue
        self.message = message
        self.metadata = metadata.isEmpty ? nil : metadata
    }

    var line: String {
        jsonLine(self)
    }

    /// `2026-12-04T17:40:01.123Z`.
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        let milliseconds = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            Int(parts.tm_year) + 1900,
            Int(parts.tm_mon) + 1,
            Int(parts.tm_mday),
            Int(parts.tm_hour),
            Int(parts.tm_min),
            Int(parts.tm_sec),
            min(999, max(0, milliseconds))
        )
    }
}

/// swift-log's lines as ``LogRecord``s on standard error (`--log-format json`).
struct JSONLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    let label: String

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = ["logger": self.label]
        for (key, value) in self.metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = "\(value)"
        }
        if let error = event.error {
            fields["error"] = "\(error)"
        }
        Output.standardError.line(LogRecord(level: event.level, message: "\(event.message)", metadata: fields).line)
    }
}
