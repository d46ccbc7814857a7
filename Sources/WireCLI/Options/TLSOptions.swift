import ArgumentParser
import Wire
import WireSecurity

/// The TLS flags of the servers.
struct ServerTLSOptions: ParsableArguments {
    @Option(help: "PEM certificate chain: serve over TLS (with --tls-key).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    func validate() throws {
        guard (self.tlsCert == nil) == (self.tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together.")
        }
    }

    func makeTLS() throws -> WireTLS? {
        guard let cert = self.tlsCert, let key = self.tlsKey else { return nil }
        return try WireTLS.server(certificateChainPath: cert, privateKeyPath: key)
    }
}

/// The TLS flags of the clients.
struct ClientTLSOptions: ParsableArguments {
    @Flag(help: "Connect over TLS, checking the server's certificate.")
    var tls = false

    @Option(help: "PEM certificates to trust instead of the system's (implies --tls).")
    var tlsCa: String?

    @Flag(help: "Accept any certificate (implies --tls); for tests only.")
    var tlsInsecure = false

    @Option(help: "Name to check the server's certificate against (default: --host).")
    var tlsServerName: String?

    func makeTLS() throws -> WireTLS? {
        guard self.tls || self.tlsCa != nil || self.tlsInsecure || self.tlsServerName != nil else { return nil }
        return try WireTLS.client(
            trustedCertificatesPath: self.tlsCa,
            verifiesCertificates: !self.tlsInsecure,
            serverHostname: self.tlsServerName
        )
    }
}
