import Foundation
import WireFraming

extension Double {
    /// 30 as "30", 0.5 as "0.5".
    var formattedSeconds: String {
        self == self.rounded() ? String(Int(self)) : String(self)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The figures of one benchmark run, as a table or as JSON.
struct BenchReport {
    var workload: String
    var framing: Framing
    var size: Int
    var count: Int
    var connections: Int
    var figures: [(name: String, value: Double, unit: String)]

    var table: String {
        var lines = [
            "\(self.workload): \(self.count) x \(self.size) B, \(self.framing) framing, \(self.connections) connection(s)"
        ]
        for figure in self.figures {
            // The unit is printed after the figure: not in its name too.
            var name = figure.name
            for suffix in ["_us", "_mib", "_per_second"] where name.hasSuffix(suffix) {
                name.removeLast(suffix.count)
            }
            name = name.replacingOccurrences(of: "_", with: " ")
            lines.append(
                "  " + name.padding(toLength: 28, withPad: " ", startingAt: 0) + formatted(figure.value) + " "
                    + figure.unit
            )
        }
        return lines.joined(separator: "\n")
    }

    /// One JSON object: the run's parameters, then every figure by name.
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        } catch {
            // Strings, integers and finite numbers always encode; a figure that is not finite
            // (a run too short to time) is the one way here, and the message says so.
            return #"{"error":"\#(error)"}"#
        }
    }
}

extension BenchReport: Encodable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { self.stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(self.workload, forKey: Key("workload"))
        try container.encode(self.framing.description, forKey: Key("framing"))
        try container.encode(self.size, forKey: Key("size"))
        try container.encode(self.count, forKey: Key("count"))
        try container.encode(self.connections, forKey: Key("connections"))
        for figure in self.figures {
            try container.encode(figure.value, forKey: Key(figure.name))
        }
    }
}

private func formatted(_ value: Double) -> String {
    if value >= 1000 {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.maximumFractionDigits = 0
        return formatter.string(from: NSNumber(value: value)) ?? String(Int(value))
    }
    return String(format: value >= 100 ? "%.1f" : "%.3f", value)
}

/// Resident memory of a process, from `/proc/PID/status`.
func residentBytes(pid: Int32) -> Int? {
    // No such process, or not Linux: the figure is then left out of the report.
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first
        return kilobytes.map { $0 * 1024 }
    }
    return nil
}

extension Duration {
    var seconds: Double {
        Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18
    }

    var nanoseconds: Int64 {
        self.components.seconds * 1_000_000_000 + self.components.attoseconds / 1_000_000_000
    }
}
