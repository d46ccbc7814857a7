import ArgumentParser
import Wire
import WireSecurity

/// The shared-secret flag of every command that connects.
struct SecretOptions: ParsableArguments {
    @Option(
        help:
            "File holding a shared secret: both ends must prove they know it before any message (multiprocessing.connection's authkey handshake)."
    )
    var secretFile: String?

    func makeSecret() throws -> SharedSecret? {
        try self.secretFile.map { try SharedSecret.contentsOf(file: $0) }
    }
}
