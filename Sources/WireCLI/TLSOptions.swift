import ArgumentParser
import Wire

/// The shared-secret flag of every command that connects.
struct SecretOptions: ParsableArguments {
    @Option(help: "File holding a shared secret: both ends must prove they know it before any message (multiprocessing.connection's authkey handshake).")
    var secretFile: String?

    func makeSecret() throws -> SharedSecret? {
        try self.secretFile.map { try SharedSecret.contentsOf(file: $0) }
    }
}

/// The heartbeat flag.
struct HeartbeatOptions: ParsableArguments {
    @Option(help: "Send an empty message after this many seconds without sending, and treat empty messages received as heartbeats (0: off; not with raw framing).")
    var heartbeat: Double = 0

    /// Refuses a heartbeat that cannot work: raw framing has no empty message to send.
    func check(framing: FramingOptions.Kind) throws {
        guard self.heartbeat >= 0, self.heartbeat.isFinite else {
            throw ValidationError("--heartbeat must be a number of seconds, 0 or more; got \(self.heartbeat).")
        }
        if self.heartbeat > 0 && framing == .raw {
            throw ValidationError("--heartbeat needs a framing with empty messages; --framing raw has none.")
        }
    }
}

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
