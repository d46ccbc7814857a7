import Crypto
import NIOCore
import Synchronization
import Wire

/// Set once the handshake's time is up.
private final class TimeoutFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { self.value.store(true, ordering: .relaxed) }
    var isSet: Bool { self.value.load(ordering: .relaxed) }
}

/// The mutual challenge-response handshake of Python's `multiprocessing.connection`, so that a
/// `Listener(authkey=...)` or `Client(authkey=...)` can talk to Wire with a shared secret.
///
/// Each side proves it knows the secret without sending it: it receives `#CHALLENGE#` and random
/// bytes, answers with their HMAC under the secret, and is told `#WELCOME#` or `#FAILURE#`. The
/// server challenges first, then answers the client's challenge; the client does the reverse.
///
/// ```
///     server -> client   #CHALLENGE#{sha256}<40 random bytes>
///     client -> server   {sha256}<HMAC-SHA256(secret, "{sha256}<40 random bytes>")>
///     server -> client   #WELCOME#
///     ...then the same the other way round
/// ```
///
/// Challenges go out in the 3.12+ form shown; both forms are understood on the receiving side:
/// a 3.11 peer's bare 20-byte challenge is answered with a bare HMAC-MD5, and its bare 16-byte
/// HMAC-MD5 answer to our challenge is accepted. Every message is one frame (`length` framing
/// for Python's peers).
enum Authentication {
    static let challenge = Array("#CHALLENGE#".utf8)
    static let welcome = Array("#WELCOME#".utf8)
    static let failure = Array("#FAILURE#".utf8)

    /// Runs one side of the handshake: the server challenges first, then answers the client's
    /// challenge; the client answers first, then challenges the server.
    static func authenticate(
        _ connection: WireConnection,
        secret: SharedSecret,
        timeout: Duration,
        asServer: Bool
    ) async throws {
        try await Self.withTimeout(connection, timeout) {
            if asServer {
                try await Self.deliverChallenge(connection, secret: secret)
            }
            try await Self.answerChallenge(connection, secret: secret)
            if !asServer {
                try await Self.deliverChallenge(connection, secret: secret)
            }
        }
    }

    /// Closes the connection if the handshake takes longer than `timeout`, so a peer without the
    /// secret (or that says nothing) gets a close, never a hang. The handshake reads one message at a
    /// time, so whatever the peer sent after it stays in the queue for the connection's reader.
    private static func withTimeout(
        _ connection: WireConnection,
        _ timeout: Duration,
        _ body: () async throws -> Void
    ) async throws {
        let channel = connection.handshakeChannel
        let timedOut = TimeoutFlag()
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            timedOut.set()
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        do {
            try await body()
        } catch {
            if timedOut.isSet {
                throw ConnectionError.authenticationFailed(
                    peer: connection.peerDescription,
                    reason: "it did not complete the handshake within \(timeout)"
                )
            }
            if let error = error as? ConnectionError { throw error }
            throw ConnectionError.authenticationFailed(peer: connection.peerDescription, reason: "\(error)")
        }
    }

    private static func next(_ connection: WireConnection, expecting what: String) async throws -> [UInt8] {
        guard let message = try await connection.nextHandshakeMessage() else {
            throw ConnectionError.authenticationFailed(
                peer: connection.peerDescription,
                reason: "it closed the connection instead of sending \(what)"
            )
        }
        return Array(message.readableBytesView)
    }

    static func deliverChallenge(
        _ connection: WireConnection,
        secret: SharedSecret
    ) async throws {
        var random = SystemRandomNumberGenerator()
        let payload = Array("{sha256}".utf8) + (0..<40).map { _ in UInt8.random(in: 0...255, using: &random) }
        try await connection.send(ByteBuffer(bytes: Self.challenge + payload))
        let response = try await Self.next(connection, expecting: "an answer to our challenge")
        guard Self.verify(response, to: payload, secret: secret) else {
            // Best effort: a peer that already left needs no failure notice; the error below stands.
            try? await connection.send(ByteBuffer(bytes: Self.failure))
            throw ConnectionError.authenticationFailed(
                peer: connection.peerDescription,
                reason: "its answer to our challenge was wrong (another secret, or none)"
            )
        }
        try await connection.send(ByteBuffer(bytes: Self.welcome))
    }

    static func answerChallenge(
        _ connection: WireConnection,
        secret: SharedSecret
    ) async throws {
        let message = try await Self.next(connection, expecting: "its challenge")
        guard message.starts(with: Self.challenge), message.count >= Self.challenge.count + 20 else {
            throw ConnectionError.authenticationFailed(
                peer: connection.peerDescription,
                reason: "it sent no challenge (does it use a secret?)"
            )
        }
        let payload = Array(message.dropFirst(Self.challenge.count))
        guard let answer = Self.answer(to: payload, secret: secret) else {
            throw ConnectionError.authenticationFailed(
                peer: connection.peerDescription,
                reason: "its challenge asks for a digest Wire does not support"
            )
        }
        try await connection.send(ByteBuffer(bytes: answer))
        let verdict = try await Self.next(connection, expecting: "#WELCOME# or #FAILURE#")
        guard verdict == Self.welcome else {
            throw ConnectionError.authenticationFailed(
                peer: connection.peerDescription,
                reason: "it rejected our secret"
            )
        }
    }

    // MARK: The digests

    /// Splits `{name}payload`; a bare 16 or 20-byte message is the 3.11 form (HMAC-MD5, no prefix).
    static func digestName(of message: [UInt8]) -> (name: String, payload: [UInt8])? {
        if message.count == 16 || message.count == 20 {
            return ("", message)
        }
        guard message.first == UInt8(ascii: "{"),
            let close = message.prefix(22).firstIndex(of: UInt8(ascii: "}")),
            let name = String(validating: message[1..<close], as: UTF8.self),
            ["md5", "sha256", "sha384"].contains(name)
        else {
            return nil
        }
        return (name, Array(message[(close + 1)...]))
    }

    static func mac(_ name: String, secret: SharedSecret, message: [UInt8]) -> [UInt8]? {
        let key = SymmetricKey(data: secret.bytes)
        switch name {
        case "md5": return Array(HMAC<Insecure.MD5>.authenticationCode(for: message, using: key))
        case "sha256": return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        case "sha384": return Array(HMAC<SHA384>.authenticationCode(for: message, using: key))
        default: return nil
        }
    }

    /// Our answer to `challenge` (the bytes after `#CHALLENGE#`); the MAC covers the whole of it.
    static func answer(to challenge: [UInt8], secret: SharedSecret) -> [UInt8]? {
        guard let (name, _) = Self.digestName(of: challenge) else {
            return nil
        }
        if name.isEmpty {
            return Self.mac("md5", secret: secret, message: challenge)
        }
        return Self.mac(name, secret: secret, message: challenge).map { Array("{\(name)}".utf8) + $0 }
    }

    /// Whether `response` proves knowledge of the secret for our `challenge`, compared in constant time.
    static func verify(_ response: [UInt8], to challenge: [UInt8], secret: SharedSecret) -> Bool {
        guard let (name, mac) = Self.digestName(of: response),
            let expected = Self.mac(name.isEmpty ? "md5" : name, secret: secret, message: challenge),
            expected.count == mac.count
        else {
            return false
        }
        return zip(expected, mac).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
