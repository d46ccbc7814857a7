public import NIOCore
import Synchronization
public import Wire

/// TLS whose files are read again on ``reload()`` (`wire chat-server` does on SIGHUP): connections
/// made after it use the new certificate, key or trusted authorities; open ones keep theirs, since
/// a channel's handlers are made once, when it opens.
///
/// ```swift
/// let tls = try ReloadableTLS { try WireTLS.server(certificateChainPath: "cert.pem", privateKeyPath: "key.pem") }
/// // later, after the files were replaced:
/// try tls.reload()
/// ```
public final class ReloadableTLS: ConnectionSecurity {
    private let current: Mutex<WireTLS>
    private let load: @Sendable () throws -> WireTLS

    /// Loads the files once now; a bad file is reported here, as ``WireTLS`` reports it.
    public init(_ load: @escaping @Sendable () throws -> WireTLS) throws {
        self.current = Mutex(try load())
        self.load = load
    }

    /// Reads the files again. When they do not make a valid TLS setup, this throws why (a
    /// ``ConnectionError`` of kind `.tlsSetup`) and the TLS in use stays as it was.
    public func reload() throws {
        let loaded = try self.load()
        self.current.withLock { $0 = loaded }
    }

    public func makeHandlers(host: String?) throws -> [any ChannelHandler] {
        try self.current.withLock { $0 }.makeHandlers(host: host)
    }
}
