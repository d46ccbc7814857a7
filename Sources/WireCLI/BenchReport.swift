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
        var lines = ["\(self.workload): \(self.count) x \(self.size) B, \(self.framing) framing, \(self.connections) connection(s)"]
        for figure in self.figures {
            // The unit is printed after the figure: not in its name too.
            var name = figure.name
            for suffix in ["_us", "_mib", "_per_second"] where name.hasSuffix(suffix) {
                name.removeLast(suffix.count)
            }
            name = name.replacingOccurrences(of: "_", with: " ")
            lines.append("  " + name.padding(toLength: 28, withPad: " ", startingAt: 0) + formatted(figure.value) + " " + figure.unit)
        }
        return lines.joined(separator: "\n")
    }

    var json: String {
        var fields = [
            "\"workload\": \"\(self.workload)\"", "\"framing\": \"\(self.framing)\"", "\"size\": \(self.size)",
            "\"count\": \(self.count)", "\"connections\": \(self.connections)",
        ]
        for figure in self.figures {
            fields.append("\"\(figure.name)\": \(String(format: "%.3f", figure.value))")
        }
        return "{" + fields.joined(separator: ", ") + "}"
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
