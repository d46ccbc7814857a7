import NIOCore

/// Why a connection could not be made, or ended badly.
///
/// Each error says in one sentence what happened and to which address:
/// `connection to 127.0.0.1:1234 refused: nothing is listening there`.
public struct ConnectionError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case refused(host: String, port: Int)
        case unknownHost(host: String)
        case timedOut(host: String, port: Int, after: Duration)
        case reset(peer: String)
        case closed(peer: String)
        case bindFailed(host: String, port: Int, reason: String)
        case connectFailed(host: String, port: Int, reason: String)
        case idleTimeout(peer: String, after: Duration)
        case firstMessageTimeout(peer: String, after: Duration)
        case serverFull(limit: Int)
        case tlsSetup(reason: String)
        case tlsHandshake(peer: String, reason: String)
        case authenticationSetup(reason: String)
        case authenticationFailed(peer: String, reason: String)
    }

    /// What kind of failure this is, to switch on; ``description`` says the rest in a sentence.
    public enum Kind: Hashable, Sendable, CaseIterable {
        /// Nothing accepted the connection at that address.
        case refused
        /// The host name does not resolve.
        case unknownHost
        /// The connection was not established in time.
        case timedOut
        /// The peer reset the connection.
        case reset
        /// The connection is closed: nothing more can be sent.
        case closed
        /// The server could not listen on its address.
        case bindFailed
        /// The connection failed for another reason.
        case connectFailed
        /// No message either way for the idle timeout.
        case idleTimeout
        /// The peer sent no complete first message in time.
        case firstMessageTimeout
        /// The server is serving as many connections as it may.
        case serverFull
        /// TLS could not be set up (a certificate or key file).
        case tlsSetup
        /// The TLS handshake failed.
        case tlsHandshake
        /// The shared secret could not be read.
        case authenticationSetup
        /// The peer did not prove it knows the shared secret, or refused ours.
        case authenticationFailed
    }

    let code: Code

    init(_ code: Code) {
        self.code = code
    }

    /// What kind of failure this is.
    public var kind: Kind {
        switch self.code {
        case .refused: return .refused
        case .unknownHost: return .unknownHost
        case .timedOut: return .timedOut
        case .reset: return .reset
        case .closed: return .closed
        case .bindFailed: return .bindFailed
        case .connectFailed: return .connectFailed
        case .idleTimeout: return .idleTimeout
        case .firstMessageTimeout: return .firstMessageTimeout
        case .serverFull: return .serverFull
        case .tlsSetup: return .tlsSetup
        case .tlsHandshake: return .tlsHandshake
        case .authenticationSetup: return .authenticationSetup
        case .authenticationFailed: return .authenticationFailed
        }
    }

    /// Nothing accepted the connection at that address.
    public static func refused(host: String, port: Int) -> ConnectionError {
        ConnectionError(.refused(host: host, port: port))
    }

    /// The host name did not resolve to any address.
    public static func unknownHost(_ host: String) -> ConnectionError {
        ConnectionError(.unknownHost(host: host))
    }

    /// The connection attempt did not complete in time.
    public static func timedOut(host: String, port: Int, after timeout: Duration) -> ConnectionError {
        ConnectionError(.timedOut(host: host, port: port, after: timeout))
    }

    /// The peer reset the connection.
    public static func reset(peer: String) -> ConnectionError {
        ConnectionError(.reset(peer: peer))
    }

    /// The connection is closed, so nothing more can be sent.
    public static func closed(peer: String) -> ConnectionError {
        ConnectionError(.closed(peer: peer))
    }

    /// The server could not listen on the address.
    public static func bindFailed(host: String, port: Int, reason: String) -> ConnectionError {
        ConnectionError(.bindFailed(host: host, port: port, reason: reason))
    }

    /// The connection attempt failed for another reason.
    public static func connectFailed(host: String, port: Int, reason: String) -> ConnectionError {
        ConnectionError(.connectFailed(host: host, port: port, reason: reason))
    }

    /// No message went either way for the idle timeout.
    public static func idleTimeout(peer: String, after timeout: Duration) -> ConnectionError {
        ConnectionError(.idleTimeout(peer: peer, after: timeout))
    }

    /// The peer did not complete its first message in time after connecting.
    public static func firstMessageTimeout(peer: String, after timeout: Duration) -> ConnectionError {
        ConnectionError(.firstMessageTimeout(peer: peer, after: timeout))
    }

    /// The server already holds its maximum number of connections.
    public static func serverFull(limit: Int) -> ConnectionError {
        ConnectionError(.serverFull(limit: limit))
    }

    /// TLS could not be set up (a certificate or key file, say).
    public static func tlsSetup(reason: String) -> ConnectionError {
        ConnectionError(.tlsSetup(reason: reason))
    }

    /// The TLS handshake with the peer failed.
    public static func tlsHandshake(peer: String, reason: String) -> ConnectionError {
        ConnectionError(.tlsHandshake(peer: peer, reason: reason))
    }

    /// The shared secret could not be set up.
    public static func authenticationSetup(reason: String) -> ConnectionError {
        ConnectionError(.authenticationSetup(reason: reason))
    }

    /// The peer did not prove it knows the shared secret, or refused ours.
    public static func authenticationFailed(peer: String, reason: String) -> ConnectionError {
        ConnectionError(.authenticationFailed(peer: peer, reason: reason))
    }

    /// Whether the peer failed the shared-secret handshake.
    public var isAuthenticationFailure: Bool {
        if case .authenticationFailed = self.code { return true }
        return false
    }

    public var description: String {
        switch self.code {
        case .refused(let host, let port):
            return "connection to \(Self.endpoint(host, port)) refused: nothing is listening there"
        case .unknownHost(let host):
            return "unknown host \"\(host)\": the name does not resolve to an address"
        case .timedOut(let host, let port, let timeout):
            return "connection to \(Self.endpoint(host, port)) timed out after \(timeout)"
        case .reset(let peer):
            return "connection reset by \(peer)"
        case .closed(let peer):
            return "connection to \(peer) is closed"
        case .bindFailed(let host, let port, let reason):
            return "cannot listen on \(Self.endpoint(host, port)): \(reason)"
        case .connectFailed(let host, let port, let reason):
            return "cannot connect to \(Self.endpoint(host, port)): \(reason)"
        case .idleTimeout(let peer, let timeout):
            return "no message to or from \(peer) for \(timeout): connection closed"
        case .firstMessageTimeout(let peer, let timeout):
            return "\(peer) sent no complete message within \(timeout) of connecting: connection closed"
        case .serverFull(let limit):
            return "server is full: \(limit) connections are open; try again later"
        case .tlsSetup(let reason):
            return "cannot set up TLS: \(reason)"
        case .tlsHandshake(let peer, let reason):
            return "TLS handshake with \(peer) failed: \(reason)"
        case .authenticationSetup(let reason):
            return "cannot set up authentication: \(reason)"
        case .authenticationFailed(let peer, let reason):
            return "authentication with \(peer) failed: \(reason)"
        }
    }

    static func endpoint(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
