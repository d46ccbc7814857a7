import Foundation
import Testing
import Wire
import WireChat
import WireTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A storm of joins, as a room that restarts meets it when its members come back: one client
/// dials 2,000 members in a row, each sending its name at once. The kernel completes a connect
/// while the listen queue has room; when it is full the SYN is dropped and retried a second
/// later, so a connect slower than 100 ms means the server's accept path fell behind.
@Suite(.timeLimit(.minutes(2)))
struct JoinStormTests {
    /// Connects `count` members one after the other to 127.0.0.1:`port` (on a thread of its own:
    /// connect blocks), each sending its username; returns the descriptors and the slowest
    /// connect, in milliseconds.
    static func dial(_ count: Int, port: Int) async throws -> (descriptors: [Int32], slowest: Double) {
        try await onThreadOfItsOwn { () throws -> ([Int32], Double) in
            var descriptors: [Int32] = []
            var slowest = 0.0
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let size = socklen_t(MemoryLayout<sockaddr_in>.size)
            for number in 0..<count {
                let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                let start = ContinuousClock.now
                let result = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.connect(descriptor, $0, size)  // blocking-ok: own thread
                    }
                }
                let took = ContinuousClock.now - start
                guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
                slowest = max(
                    slowest,
                    Double(took.components.attoseconds) / 1e15 + Double(took.components.seconds) * 1000
                )
                let name = Array("m\(number)".utf8)
                let frame = Array(String(name.count).padding(toLength: 10, withPad: " ", startingAt: 0).utf8) + name
                _ = frame.withUnsafeBytes {
                    Glibc.send(descriptor, $0.baseAddress, $0.count, 0)  // blocking-ok: own thread
                }
                descriptors.append(descriptor)
            }
            return (descriptors, slowest)
        }
    }

    @Test func twoThousandJoinsInARowWaitForNoSYNRetry() async throws {
        let configuration = quietRoom()
        try await withChatServer(configuration) { port, server in
            let (descriptors, slowest) = try await Self.dial(2000, port: port)
            defer {
                for descriptor in descriptors { close(descriptor) }
            }
            #expect(slowest < 100, "the slowest connect took \(slowest) ms")
            try await waitForMembers(server, 2000)
        }
    }
}
