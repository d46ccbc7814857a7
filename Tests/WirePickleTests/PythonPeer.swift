import Foundation

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
    ) throws
        -> Answer
    {
        // Files rather than pipes: requests and answers may be larger than a pipe holds.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pickle-peer-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("request.json")
        let output = directory.appendingPathComponent("answer.json")
        let errors = directory.appendingPathComponent("stderr.txt")
        try JSONEncoder().encode(request).write(to: input)
        try Data().write(to: output)
        try Data().write(to: errors)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script.path, mode]
        process.environment = ProcessInfo.processInfo.environment.merging(["PYTHONHASHSEED": "0"]) { $1 }
        process.standardInput = try FileHandle(forReadingFrom: input)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw Failed(description: "pickle_peer.py \(mode) exited \(process.terminationStatus): \(message)")
        }
        return try JSONDecoder().decode(Answer.self, from: Data(contentsOf: output))
    }

    struct Empty: Codable {}
}

extension Array where Element == UInt8 {
    init?(hex: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for character in hex.utf8 {
            guard let nibble = UInt8(String(UnicodeScalar(character)), radix: 16) else { return nil }
            if let first = high {
                bytes.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        guard high == nil else { return nil }
        self = bytes
    }

    var hex: String {
        self.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
