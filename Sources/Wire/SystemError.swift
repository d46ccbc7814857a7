import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The operating system's errors as Wire reads them: the few errno values it tells apart, and the
/// system's own words for the rest. The one place in the module that speaks libc.
package enum SystemError {
    /// Whether a connection attempt was refused (nothing listens on that port).
    package static func isRefused(_ error: any Error) -> Bool {
        (error as? IOError)?.errnoCode == ECONNREFUSED
    }

    /// Whether the peer reset the connection or went away while this side wrote.
    package static func isPeerGone(_ error: IOError) -> Bool {
        error.errnoCode == ECONNRESET || error.errnoCode == EPIPE
    }

    /// What went wrong, as a plain phrase: the system's words for an errno, not NIO's call site.
    package static func phrase(_ error: any Error) -> String {
        if let error = error as? IOError {
            let text = String(cString: strerror(error.errnoCode))
            return text.prefix(1).lowercased() + text.dropFirst()
        }
        if error is SocketAddressError || error is SocketAddressError.UnknownHost {
            return "the name does not resolve to an address"
        }
        return "\(error)"
    }

    /// Closes `channel` with a TCP reset (SO_LINGER 0) instead of an orderly close.
    package static func reset(_ channel: any Channel) {
        guard let provider = channel as? any SocketOptionProvider else {
            channel.close(promise: nil)
            return
        }
        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
