public import NIOCore
public import NIOSSL
public import Wire

/// TLS for a server or a client (swift-nio-ssl). The context is built once, when the value is
/// made, so a bad certificate or key file is reported at start-up, in one sentence.
///
/// ```swift
/// let serverTLS = try WireTLS.server(certificateChainPath: "cert.pem", privateKeyPath: "key.pem")
/// let clientTLS = try WireTLS.client(trustedCertificatesPath: "ca.pem")
/// ```
public struct WireTLS: ConnectionSecurity {
    let context: NIOSSLContext
    let isServer: Bool
    /// The name the client checks the server's certificate against; by default the host it connects to.
    public var serverHostname: String?

    /// TLS from a swift-nio-ssl configuration of your own.
    public init(configuration: TLSConfiguration, isServer: Bool, serverHostname: String? = nil) throws {
        do {
            self.context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ConnectionError.tlsSetup(reason: Self.reason(error))
        }
        self.isServer = isServer
        self.serverHostname = serverHostname
    }

    /// A server's TLS from a PEM certificate chain and a PEM private key.
    public static func server(certificateChainPath: String, privateKeyPath: String) throws -> WireTLS {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateChainPath)
        } catch {
            throw ConnectionError.tlsSetup(reason: "cannot read a PEM certificate from \(certificateChainPath)")
        }
        guard !chain.isEmpty else {
            throw ConnectionError.tlsSetup(reason: "no certificate in \(certificateChainPath)")
        }
        do {
            key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        } catch {
            throw ConnectionError.tlsSetup(reason: "cannot read a PEM private key from \(privateKeyPath)")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        return try WireTLS(configuration: configuration, isServer: true)
    }

    /// A client's TLS: the server's certificate is checked against the certificates in
    /// `trustedCertificatesPath` (PEM), or the system's trust store when `nil`; `verifiesCertificates:
    /// false` accepts any certificate and is for tests only.
    public static func client(
        trustedCertificatesPath: String? = nil,
        verifiesCertificates: Bool = true,
        serverHostname: String? = nil
    ) throws -> WireTLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let path = trustedCertificatesPath {
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMFile(path)
            } catch {
                throw ConnectionError.tlsSetup(reason: "cannot read a PEM certificate from \(path)")
            }
            configuration.trustRoots = .certificates(roots)
        }
        if !verifiesCertificates {
            configuration.certificateVerification = .none
        }
        return try WireTLS(configuration: configuration, isServer: false, serverHostname: serverHostname)
    }

    /// The TLS handler for a new channel to or from `host`, and after it the translator that turns
    /// a failed handshake into a ``ConnectionError`` that says why in a sentence.
    public func makeHandlers(host: String?) throws -> [any ChannelHandler] {
        if self.isServer {
            return [NIOSSLServerHandler(context: self.context), TLSErrorTranslator(host: nil)]
        }
        // An IP address is checked against the certificate's IP addresses, and cannot go in SNI.
        // SNI takes names, not addresses: a host that parses as an IP address is not sent.
        let name =
            self.serverHostname ?? host.flatMap { (try? SocketAddress(ipAddress: $0, port: 0)) == nil ? $0 : nil }
        return [try NIOSSLClientHandler(context: self.context, serverHostname: name), TLSErrorTranslator(host: host)]
    }

    static func reason(_ error: any Error) -> String {
        "\(error)"
    }
}
