import Foundation
import Testing

/// A short run of Soak/soak.py: good clients verify every message while faults are injected.
@Suite(.timeLimit(.minutes(2)))
struct SoakSmokeTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Soak/soak.py")

    @Test func goodClientsSeeNoErrorWhileFaultsAreInjected() async throws {
        let soak = try RunningProcess(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", Self.script.path, "--wire", RunningProcess.wire.path, "--seconds", "3", "--clients", "3",
                "--idle-connections", "300", "--json",
            ]
        )
        let result = try await soak.finish(timeout: .seconds(90))
        #expect(result.status == 0, "\(result.output) \(result.error)")
        let report = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        #expect(report?["errors_seen_by_good_clients"] as? Int == 0)
        #expect((report?["messages_verified"] as? Int ?? 0) > 0)
        #expect((report?["faults_injected"] as? Int ?? 0) > 0)
    }
}
