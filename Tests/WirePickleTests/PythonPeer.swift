import Foundation
import WireTestSupport

/// Runs `Python/pickle_peer.py` with CPython: one JSON request on stdin, one JSON answer on stdout.
enum PythonPeer {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Python/pickle_peer.py")

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends `request` to the script in `mode` and decodes its answer as `Answer`.
    static func run<Request: Encodable, Answer: Decodable>(
        _ mode: String,
        _ request: Request,
        as: Answer.Type
    ) async throws -> Answer {
        let ending = try await ChildProcess.run(
            "python3",
            [Self.script.path, mode],
            environment: ["PYTHONHASHSEED": "0"],
            input: .bytes(Array(try JSONEncoder().encode(request)))
        )
        guard ending.status == 0, !ending.wasSignalled else {
            throw Failed(description: "pickle_peer.py \(mode) exited \(ending.status): \(ending.errorText)")
        }
        return try JSONDecoder().decode(Answer.self, from: Data(ending.output))
    }

    struct Empty: Codable {}
}

extension Array where Element == UInt8 {
    init?(hex: String) {
        // Byte arithmetic, not a String and a radix parse per digit: the interop tests read
        // thousands of pickles in hex, on the cooperative pool.
        func nibble(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }

    var hex: String {
        self.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
