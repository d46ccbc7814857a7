import Foundation

/// A host of the test's own: a network namespace joined to this one by a veth pair, with
/// addresses in 10.N.0.0/30 that exist only inside this test. Cutting the pair's link makes a real
/// network partition: packets are dropped silently, no FIN and no RST, as when a cable is pulled.
public final class NetworkNamespace: Sendable {
    public let name: String
    /// This side's address, and the namespace's.
    public let hostAddress: String
    public let address: String
    private let hostLink: String
    private let link: String

    /// Whether this machine lets the tests make namespaces (root and iproute2).
    public static let isAvailable: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip") else {
            return false
        }
        do {
            let probe = try NetworkNamespace()
            probe.remove()
            return true
        } catch {
            return false
        }
    }()

    public init() throws {
        let id = UInt32.random(in: 0..<0xFFFF)
        self.name = "wire-\(id)"
        self.hostLink = "wh\(id)"
        self.link = "wn\(id)"
        let (a, b) = (Int(id % 250) + 1, Int(id / 250) % 64 * 4)
        self.hostAddress = "10.\(a).\(b).1"
        self.address = "10.\(a).\(b).2"
        try Self.ip(["netns", "add", self.name])
        do {
            try Self.ip(["-n", self.name, "link", "set", "lo", "up"])
            try Self.ip(["link", "add", self.hostLink, "type", "veth", "peer", "name", self.link])
            try Self.ip(["link", "set", self.link, "netns", self.name])
            try Self.ip(["addr", "add", "\(self.hostAddress)/30", "dev", self.hostLink])
            try Self.ip(["link", "set", self.hostLink, "up"])
            try Self.ip(["-n", self.name, "addr", "add", "\(self.address)/30", "dev", self.link])
            try Self.ip(["-n", self.name, "link", "set", self.link, "up"])
        } catch {
            self.remove()
            throw error
        }
    }

    /// Cuts the link: from now on, packets between the two sides are lost without a word.
    public func partition() throws {
        try Self.ip(["-n", self.name, "link", "set", self.link, "down"])
    }

    /// Joins the two sides again.
    public func heal() throws {
        try Self.ip(["-n", self.name, "link", "set", self.link, "up"])
    }

    /// The command that runs `arguments` inside the namespace.
    public func command(_ arguments: [String]) -> [String] {
        ["netns", "exec", self.name] + arguments
    }

    public func remove() {
        // Deleting the namespace deletes its end of the pair, and with it this end.
        _ = try? Self.ip(["netns", "del", self.name])
    }

    deinit {
        self.remove()
    }

    @discardableResult
    static func ip(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw NetworkNamespaceFailed(command: "ip " + arguments.joined(separator: " "), message: text)
        }
        return text
    }
}

public struct NetworkNamespaceFailed: Error, CustomStringConvertible {
    public let command: String
    public let message: String
    public var description: String { "\(self.command) failed: \(self.message)" }
}
