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

    /// Where `ip` is.
    public static let ipPath =
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip"

    /// Whether this machine lets the tests make namespaces (root and iproute2).
    public static func isAvailable() async -> Bool {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: Self.ipPath) else {
            return false
        }
        do {
            let probe = try await NetworkNamespace()
            await probe.removed()
            return true
        } catch {
            return false
        }
    }

    public init() async throws {
        let id = UInt32.random(in: 0..<0xFFFF)
        self.name = "wire-\(id)"
        self.hostLink = "wh\(id)"
        self.link = "wn\(id)"
        let (a, b) = (Int(id % 250) + 1, Int(id / 250) % 64 * 4)
        self.hostAddress = "10.\(a).\(b).1"
        self.address = "10.\(a).\(b).2"
        try await Self.ip(["netns", "add", self.name])
        do {
            try await Self.ip(["-n", self.name, "link", "set", "lo", "up"])
            try await Self.ip(["link", "add", self.hostLink, "type", "veth", "peer", "name", self.link])
            try await Self.ip(["link", "set", self.link, "netns", self.name])
            try await Self.ip(["addr", "add", "\(self.hostAddress)/30", "dev", self.hostLink])
            try await Self.ip(["link", "set", self.hostLink, "up"])
            try await Self.ip(["-n", self.name, "addr", "add", "\(self.address)/30", "dev", self.link])
            try await Self.ip(["-n", self.name, "link", "set", self.link, "up"])
        } catch {
            await self.removed()
            throw error
        }
    }

    /// Cuts the link: from now on, packets between the two sides are lost without a word.
    public func partition() async throws {
        try await Self.ip(["-n", self.name, "link", "set", self.link, "down"])
    }

    /// Joins the two sides again.
    public func heal() async throws {
        try await Self.ip(["-n", self.name, "link", "set", self.link, "up"])
    }

    /// The command that runs `arguments` inside the namespace.
    public func command(_ arguments: [String]) -> [String] {
        ["netns", "exec", self.name] + arguments
    }

    /// Deletes the namespace, and waits until it is gone; deleting it deletes its end of the pair,
    /// and with it this end.
    public func removed() async {
        // A namespace already gone is what was asked for.
        _ = try? await Self.ip(["netns", "del", self.name])
    }

    /// Deletes the namespace without waiting (for a `defer`).
    public func remove() {
        // Not awaited: `ip netns del` finishes on its own (the task keeps it alive until then); one
        // that fails found nothing to delete.
        let child = try? ChildProcess(Self.ipPath, ["netns", "del", self.name])
        Task { _ = await child?.exited() }
    }

    deinit {
        self.remove()
    }

    @discardableResult
    static func ip(_ arguments: [String]) async throws -> String {
        let ending = try await ChildProcess.run(Self.ipPath, arguments)
        guard ending.status == 0, !ending.wasSignalled else {
            throw NetworkNamespaceFailed(command: "ip " + arguments.joined(separator: " "), message: ending.errorText)
        }
        return ending.errorText
    }
}

public struct NetworkNamespaceFailed: Error, CustomStringConvertible {
    public let command: String
    public let message: String
    public var description: String { "\(self.command) failed: \(self.message)" }
}
