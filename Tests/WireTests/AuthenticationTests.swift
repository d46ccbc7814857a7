import NIOCore
import Testing
import WireFraming

@testable import Wire
@testable import WireSecurity

@Suite(.timeLimit(.minutes(1)))
struct AuthenticationTests {
    static let secret = SharedSecret(Array("correct horse battery staple".utf8))

    func server(_ secret: SharedSecret?, timeout: Duration = .seconds(10)) -> ServerConfiguration {
        ServerConfiguration(port: 0, framing: .length(), secret: secret, authenticationTimeout: timeout)
    }

    /// The echo of "hello" through a client with `secret`, or the first error.
    func outcome(port: Int, secret: SharedSecret?, timeout: Duration = .seconds(10)) async -> String {
        do {
            return try await WireClient.withConnection(
                host: "127.0.0.1",
                port: port,
                configuration: ClientConfiguration(framing: .length(), secret: secret, authenticationTimeout: timeout)
            ) { connection in
                try await connection.send("hello")
                var messages = connection.messages.makeAsyncIterator()
                return try await messages.next().map { String(buffer: $0) } ?? "closed"
            }
        } catch {
            return "\(error)"
        }
    }

    @Test func peersWithTheSameSecretTalk() async throws {
        try await withServer(self.server(Self.secret), handler: echoHandler) { port in
            #expect(await self.outcome(port: port, secret: Self.secret) == "hello")
        }
    }

    @Test func messagesRightAfterTheHandshakeAreNotLost() async throws {
        let received = try await withServer(self.server(Self.secret), handler: echoHandler) { port in
            try await WireClient.withConnection(
                host: "127.0.0.1",
                port: port,
                configuration: ClientConfiguration(framing: .length(), secret: Self.secret)
            ) { connection in
                try await connection.send(contentsOf: (0..<100).map { ByteBuffer(string: "\($0)") })
                try await connection.finish()
                var all: [String] = []
                for try await message in connection.messages { all.append(String(buffer: message)) }
                return all
            }
        }
        #expect(received == (0..<100).map { "\($0)" })
    }

    @Test func aWrongSecretIsRefusedClearly() async throws {
        try await withServer(self.server(Self.secret), handler: echoHandler) { port in
            let result = await self.outcome(port: port, secret: SharedSecret(Array("wrong".utf8)))
            #expect(result == "authentication with 127.0.0.1:\(port) failed: it rejected our secret")
        }
    }

    @Test func aClientWithoutTheSecretIsClosedNotLeftHanging() async throws {
        try await withServer(self.server(Self.secret, timeout: .milliseconds(300)), handler: echoHandler) { port in
            // It takes the challenge for a message and waits: the server's timeout closes it.
            let result = await self.outcome(port: port, secret: nil)
            #expect(result.hasPrefix("#CHALLENGE#{sha256}"), "\(result)")
            let second = try await WireClient.withConnection(
                host: "127.0.0.1",
                port: port,
                configuration: ClientConfiguration(framing: .length())
            ) { connection in
                var count = 0
                for try await _ in connection.messages { count += 1 }
                return count
            }
            #expect(second == 1, "the challenge, then the close")
        }
    }

    @Test func aServerWithoutASecretIsNoticed() async throws {
        try await withServer(self.server(nil), handler: echoHandler) { port in
            // It waits for a challenge that never comes; the client's timeout ends the wait.
            let result = await self.outcome(port: port, secret: Self.secret, timeout: .milliseconds(500))
            #expect(
                result
                    == "authentication with 127.0.0.1:\(port) failed: it did not complete the handshake within 0.5 seconds"
            )
        }
    }

    @Test func answersBothChallengeForms() {
        let key = Self.secret
        // 3.11: a bare 20-byte challenge, answered with a bare HMAC-MD5.
        let legacy = [UInt8](repeating: 7, count: 20)
        #expect(Authentication.answer(to: legacy, secret: key)?.count == 16)
        // 3.12+: "{sha256}" + 40 bytes, answered with "{sha256}" + HMAC-SHA256 over all of it.
        let modern = Array("{sha256}".utf8) + [UInt8](repeating: 9, count: 40)
        let answer = Authentication.answer(to: modern, secret: key) ?? []
        #expect(answer.starts(with: Array("{sha256}".utf8)) && answer.count == 8 + 32)
        #expect(Authentication.verify(answer, to: modern, secret: key))
        #expect(!Authentication.verify(answer, to: modern, secret: SharedSecret([1])))
        // A 3.11 peer answers our modern challenge with a bare HMAC-MD5 over all of it.
        let bare = Authentication.mac("md5", secret: key, message: modern) ?? []
        #expect(Authentication.verify(bare, to: modern, secret: key))
    }
}
