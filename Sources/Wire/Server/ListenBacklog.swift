#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How many connections the kernel may hold for a server before it accepts them.
///
/// A room that restarts meets a storm of members coming back at once. While the listen queue has
/// room the kernel completes each connect by itself; when it is full a SYN is dropped and the
/// client tries again a second later. So servers ask for the system's maximum, as Go's listeners
/// (and so nats-server) do: Linux's `net.core.somaxconn` (4096 since Linux 5.4), which the kernel
/// would clamp a larger request to anyway.
public enum ListenBacklog {
    /// The system's maximum listen backlog: `/proc/sys/net/core/somaxconn` on Linux, else 4096.
    public static let systemMaximum: Int = {
        #if os(Linux)
        if let value = readSomaxconn(), value > 0 { return value }
        #endif
        return 4096
    }()

    #if os(Linux)
    private static func readSomaxconn() -> Int? {
        guard let file = fopen("/proc/sys/net/core/somaxconn", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 32)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Stored in 16 bits before Linux 4.1: more than 65535 would wrap there.
        return Int(text.filter(\.isNumber)).map { min($0, 65535) }
    }
    #endif
}
