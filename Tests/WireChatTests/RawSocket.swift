#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// A plain blocking TCP client with a small receive buffer: a peer that can be made to stop
/// reading for real (the kernel may otherwise buffer tens of megabytes for it on loopback).
final class RawSocket: @unchecked Sendable {
    // @unchecked: the descriptor is only used by one thread at a time in these tests (sent to,
    // then read to the end by one thread), and closed once, in deinit.
    let descriptor: Int32

    init(port: Int, receiveBuffer: Int32 = 4096) throws {
        self.descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var size = receiveBuffer
        // Before connecting, so that the window the peer sees is small from the start.
        setsockopt(self.descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(self.descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(self.descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func send(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = Glibc.send(self.descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// Everything until the peer closes (or 30 s pass without a byte), read on a thread of its own.
    func readToEnd() async -> [UInt8] {
        await withCheckedContinuation { continuation in
            Thread {
                var all: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 65536)
                while true {
                    let count = chunk.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, 0) }
                    guard count > 0 else { break }
                    all.append(contentsOf: chunk[0..<count])
                }
                continuation.resume(returning: all)
            }.start()
        }
    }

    /// Reads `count` records of the tutorial's chat (10-byte headers) that are not the room's
    /// notices, sleeping `pause` every `pauseEvery` of them, and returns each sender's numbers (the
    /// first word of each text) in the order they arrived; on a thread of its own.
    func readSlowly(count: Int, pauseEvery: Int, pause: TimeInterval) async -> [String: [Int]] {
        await withCheckedContinuation { continuation in
            Thread {
                var received: [String: [Int]] = [:]
                var seen = 0
                var buffer: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 4096)
                func exactly(_ length: Int) -> [UInt8]? {
                    while buffer.count < length {
                        let got = chunk.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, 0) }
                        guard got > 0 else { return nil }
                        buffer.append(contentsOf: chunk[0..<got])
                    }
                    defer { buffer.removeFirst(length) }
                    return Array(buffer[0..<length])
                }
                func frame() -> String? {
                    guard let header = exactly(10),
                        let length = Int(String(decoding: header, as: UTF8.self).trimmingCharacters(in: .whitespaces)),
                        let body = exactly(length)
                    else { return nil }
                    return String(decoding: body, as: UTF8.self)
                }
                while seen < count, let name = frame(), let text = frame() {
                    guard name != "[server]" else { continue }
                    received[name, default: []].append(Int(text.prefix { $0 != " " }) ?? -1)
                    seen += 1
                    if seen % pauseEvery == 0 {
                        Thread.sleep(forTimeInterval: pause)
                    }
                }
                continuation.resume(returning: received)
            }.start()
        }
    }

    deinit {
        close(self.descriptor)
    }
}
