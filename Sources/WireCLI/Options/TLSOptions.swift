import ArgumentParser
import Logging
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

    /// The server's TLS, read again from the same files on SIGHUP (``reloadCertificates(_:lines:)``).
    func makeTLS() throws -> ReloadableTLS? {
        guard let cert = self.tlsCert, let key = self.tlsKey else { return nil }
        return try ReloadableTLS { try WireTLS.server(certificateChainPath: cert, privateKeyPath: key) }
    }

    /// What SIGHUP reads again, named for the log.
    func reloadable(_ tls: ReloadableTLS?) -> [ReloadableFiles] {
        guard let tls, let cert = self.tlsCert, let key = self.tlsKey else { return [] }
        return [ReloadableFiles(description: "the TLS certificate \(cert) and key \(key)", tls: tls)]
    }
}

/// TLS files that SIGHUP reads again, and how the log names them.
struct ReloadableFiles: Sendable {
    let description: String
    let tls: ReloadableTLS
}

/// On SIGHUP: reads every file of `files` again; new connections use what was read, open ones keep
/// theirs. A file that does not load keeps the old one in use, and the log says why.
func reloadCertificates(_ files: [ReloadableFiles], lines: StatusLines) {
    guard !files.isEmpty else {
        lines.line("SIGHUP: no certificate to read again (no --tls-cert or --nats-ca)", level: .notice)
        return
    }
    for file in files {
        do {
            try file.tls.reload()
            lines.line(
                "SIGHUP: read \(file.description) again; new connections use them",
                level: .notice,
                ["files": file.description]
            )
        } catch {
            lines.line(
                "SIGHUP: kept \(file.description) as they were: \(error)",
                level: .error,
                ["files": file.description, "error": "\(error)"]
            )
        }
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
