import Foundation
import WireTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A plain blocking TCP client with a small receive buffer: a peer that can be made to stop
/// reading for real (the kernel may otherwise buffer tens of megabytes for it on loopback).
///
/// Every call that can block (connect, send, recv, the reader's pauses) runs on a thread of its
/// own, never on one of Swift's cooperative threads.
final class RawSocket: Sendable {
    let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Connects to 127.0.0.1:`port` with a receive buffer of `receiveBuffer` bytes.
    static func connect(port: Int, receiveBuffer: Int32 = 4096) async throws -> RawSocket {
        let descriptor = try await onThreadOfItsOwn { () throws -> Int32 in
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var size = receiveBuffer
            // Before connecting, so that the window the peer sees is small from the start.
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))  // blocking-ok: own thread
                }
            }
            guard result == 0 else {
                close(descriptor)
                throw POSIXError(.ECONNREFUSED)
            }
            return descriptor
        }
        return RawSocket(descriptor: descriptor)
    }

    /// Sends all of `bytes`.
    func send(_ bytes: [UInt8]) async {
        let descriptor = self.descriptor
        await onThreadOfItsOwn {
            var sent = 0
            while sent < bytes.count {
                let count = bytes[sent...].withUnsafeBytes {
                    Glibc.send(descriptor, $0.baseAddress, $0.count, 0)  // blocking-ok: own thread
                }
                guard count > 0 else { return }
                sent += count
            }
        }
    }

    /// Everything until the peer closes (or 30 s pass without a byte).
    func readToEnd() async -> [UInt8] {
        let descriptor = self.descriptor
        return await onThreadOfItsOwn {
            var all: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = chunk.withUnsafeMutableBytes {
                    recv(descriptor, $0.baseAddress, $0.count, 0)  // blocking-ok: own thread
                }
                guard count > 0 else { break }
                all.append(contentsOf: chunk[0..<count])
            }
            return all
        }
    }

    /// Reads `count` records of the tutorial's chat (10-byte headers) that are not the room's
    /// notices, sleeping `pause` every `pauseEvery` of them, and returns each sender's numbers (the
    /// first word of each text) in the order they arrived.
    func readSlowly(count: Int, pauseEvery: Int, pause: TimeInterval) async -> [String: [Int]] {
        let descriptor = self.descriptor
        return await onThreadOfItsOwn {
            var received: [String: [Int]] = [:]
            var seen = 0
            var buffer: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            func exactly(_ length: Int) -> [UInt8]? {
                while buffer.count < length {
                    let got = chunk.withUnsafeMutableBytes {
                        recv(descriptor, $0.baseAddress, $0.count, 0)  // blocking-ok: own thread
                    }
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
                    Thread.sleep(forTimeInterval: pause)  // blocking-ok: a thread of its own
                }
            }
            return received
        }
    }

    deinit {
        close(self.descriptor)
    }
}
