import NIOCore
import Testing
import Wire
import WireFraming
import WireSecurity
import WireTestSupport

@Suite(.timeLimit(.minutes(1)))
struct TLSTests {

    func tlsServer() async throws -> ServerConfiguration {
        let certificates = try await TestCertificates.shared
        return ServerConfiguration(
            port: 0,
            tls: try WireTLS.server(certificateChainPath: certificates.certificate, privateKeyPath: certificates.key)
        )
    }

    /// The first thing that goes wrong on a TLS client connection to localhost, or the echo of "hello".
    func outcome(port: Int, tls: WireTLS?) async -> String {
        do {
            return try await WireClient.withConnection(
                host: "localhost",
                port: port,
                configuration: ClientConfiguration(tls: tls)
            ) { connection in
                try await connection.send("hello")
                var messages = connection.messages.makeAsyncIterator()
                return try await messages.next().map { String(buffer: $0) } ?? "closed"
            }
        } catch {
            return "\(error)"
        }
    }

    @Test func echoesEveryMessageOverTLS() async throws {
        let certificates = try await TestCertificates.shared
        let tls = try WireTLS.client(trustedCertificatesPath: certificates.authority)
        let messages = ["Hey there!!!", "", String(repeating: "big ", count: 50_000)]
        let received = try await withServer(try await self.tlsServer(), handler: echoHandler) { port in
            try await WireClient.withConnection(
                host: "localhost",
                port: port,
                configuration: ClientConfiguration(tls: tls)
            ) { connection in
                for message in messages { try await connection.send(message) }
                try await connection.finish()
                var all: [String] = []
                for try await message in connection.messages { all.append(String(buffer: message)) }
                return all
            }
        }
        #expect(received == messages)
    }

    @Test func refusesACertificateFromAnUntrustedAuthority() async throws {
        let certificates = try await TestCertificates.shared
        try await withServer(try await self.tlsServer(), handler: echoHandler) { port in
            let untrusted = try WireTLS.client(trustedCertificatesPath: certificates.otherAuthority)
            let result = await self.outcome(port: port, tls: untrusted)
            #expect(result == "TLS handshake with localhost:\(port) failed: its certificate is not trusted")
        }
    }

    @Test func refusesACertificateForAnotherName() async throws {
        let certificates = try await TestCertificates.shared
        try await withServer(try await self.tlsServer(), handler: echoHandler) { port in
            let tls = try WireTLS.client(
                trustedCertificatesPath: certificates.authority,
                serverHostname: "wire.example"
            )
            let result = await self.outcome(port: port, tls: tls)
            #expect(
                result
                    == "TLS handshake with localhost:\(port) failed: its certificate is not valid for the name asked for"
            )
        }
    }

    @Test func acceptsAnyCertificateOnlyWhenAskedTo() async throws {
        try await withServer(try await self.tlsServer(), handler: echoHandler) { port in
            let insecure = try WireTLS.client(verifiesCertificates: false)
            #expect(await self.outcome(port: port, tls: insecure) == "hello")
        }
    }

    @Test func aPlainTextPeerOnATLSPortIsClosedAndOthersGoOn() async throws {
        let certificates = try await TestCertificates.shared
        try await withServer(try await self.tlsServer(), handler: echoHandler) { port in
            let plain = await self.outcome(port: port, tls: nil)
            #expect(plain != "hello", "a plain-text client got an answer: \(plain)")
            let tls = try WireTLS.client(trustedCertificatesPath: certificates.authority)
            #expect(await self.outcome(port: port, tls: tls) == "hello")
        }
    }

    @Test func saysWhenTheServerDoesNotSpeakTLS() async throws {
        let certificates = try await TestCertificates.shared
        try await withServer(handler: echoHandler) { port in
            let tls = try WireTLS.client(trustedCertificatesPath: certificates.authority)
            let result = await self.outcome(port: port, tls: tls)
            #expect(result.hasPrefix("TLS handshake with localhost:\(port) failed: "), "\(result)")
            #expect(result.hasSuffix("(does it speak TLS?)"), "\(result)")
        }
    }

    @Test func saysWhenTheServerAnswersInPlainText() async throws {
        let certificates = try await TestCertificates.shared
        // The tutorial's server greets at once, in raw bytes, and stays open: its plain bytes are
        // no TLS record.
        let server = ServerConfiguration(port: 0, framing: .raw())
        let greeter: WireServer.Handler = { connection in
            try await connection.send("Hey there!!!")
            for try await _ in connection.messages {}
        }
        try await withServer(server, handler: greeter) { port in
            let tls = try WireTLS.client(trustedCertificatesPath: certificates.authority)
            let result = await self.outcome(port: port, tls: tls)
            #expect(result == "TLS handshake with localhost:\(port) failed: it does not speak TLS")
        }
    }

    @Test func saysWhichFileCannotBeRead() {
        #expect(throws: ConnectionError.tlsSetup(reason: "cannot read a PEM certificate from /no/such/cert.pem")) {
            try WireTLS.server(certificateChainPath: "/no/such/cert.pem", privateKeyPath: "/no/such/key.pem")
        }
    }
}
