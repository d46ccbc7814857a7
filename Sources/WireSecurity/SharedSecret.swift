public import Wire

/// A secret both ends know, for the challenge-response handshake of `Authentication`.
public struct SharedSecret: ConnectionAuthenticator, Hashable {
    let bytes: [UInt8]

    /// A secret from its bytes (the `authkey` of Python's `multiprocessing.connection`).
    public init(_ bytes: some Sequence<UInt8>) {
        self.bytes = Array(bytes)
        precondition(!self.bytes.isEmpty, "a shared secret must not be empty")
    }

    public func authenticateClient(_ connection: WireConnection, timeout: Duration) async throws {
        try await Authentication.authenticate(connection, secret: self, timeout: timeout, asServer: true)
    }

    public func authenticateServer(_ connection: WireConnection, timeout: Duration) async throws {
        try await Authentication.authenticate(connection, secret: self, timeout: timeout, asServer: false)
    }

    /// A secret from a file's bytes; one trailing newline is dropped, as editors add one.
    public static func contentsOf(file path: String) throws -> SharedSecret {
        guard let bytes = FileContents.read(path, limit: 1 << 20) else {
            throw ConnectionError.authenticationSetup(reason: "cannot read the secret file \(path)")
        }
        var secret = bytes
        if secret.last == UInt8(ascii: "\n") { secret.removeLast() }
        if secret.last == UInt8(ascii: "\r") { secret.removeLast() }
        guard !secret.isEmpty else {
            throw ConnectionError.authenticationSetup(reason: "the secret file \(path) is empty")
        }
        return SharedSecret(secret)
    }
}
