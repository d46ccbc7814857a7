import Foundation

/// A certificate authority and a server certificate for the name localhost (no IP address), made with the
/// `openssl` command at test time, plus a second authority that signed nothing of ours.
public struct TestCertificates: Sendable {
    public let authority: String
    public let otherAuthority: String
    public let certificate: String
    public let key: String

    /// One set for every test of the process, made once, on first use.
    public static var shared: TestCertificates {
        get async throws { try await Self.sharedSet.value }
    }

    private static let sharedSet = Task { try await TestCertificates.make() }

    public static func make() async throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wire-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        try "subjectAltName=DNS:localhost\n".write(toFile: path("san.ext"), atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await openssl(
            ["req", "-x509"] + ec + [
                "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2", "-subj", "/CN=Wire Test CA",
            ]
        )
        try await openssl(
            ["req", "-x509"] + ec + [
                "-keyout", path("other.key"), "-out", path("other.pem"), "-days", "2", "-subj", "/CN=Other CA",
            ]
        )
        try await openssl(
            ["req"] + ec + ["-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost"]
        )
        try await openssl([
            "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
            "-CAcreateserial", "-out", path("server.pem"), "-days", "2", "-extfile", path("san.ext"),
        ])
        return TestCertificates(
            authority: path("ca.pem"),
            otherAuthority: path("other.pem"),
            certificate: path("server.pem"),
            key: path("server.key")
        )
    }

    private static func openssl(_ arguments: [String]) async throws {
        let ending = try await ChildProcess.run("openssl", arguments)
        guard ending.status == 0, !ending.wasSignalled else {
            throw OpenSSLFailed(command: "openssl " + arguments.joined(separator: " "), message: ending.errorText)
        }
    }
}

public struct OpenSSLFailed: Error, CustomStringConvertible {
    public let command: String
    public let message: String
    public var description: String { "\(self.command) failed: \(self.message)" }
}
