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
        try await Authentication.authenticateClient(connection, secret: self, timeout: timeout)
    }

    public func authenticateServer(_ connection: WireConnection, timeout: Duration) async throws {
        try await Authentication.authenticateServer(connection, secret: self, timeout: timeout)
    }

    /// A secret from a file's bytes; one trailing newline is dropped, as editors add one.
    public static func contentsOf(file path: String) throws -> SharedSecret {
        guard let bytes = readFile(path) else {
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

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

private func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        bytes.append(contentsOf: chunk[0..<count])
        if count < chunk.count { break }
        if bytes.count > 1 << 20 { return nil }
    }
    return ferror(file) == 0 ? bytes : nil
}
