/// Where a text sits in the room, for a client that resumes after a lost connection.
///
/// In a room kept in a JetStream stream, `major` is the stream sequence of the batch the text came
/// in and `minor` its index in the batch: the same on every node, so a client may resume on
/// another node. In a room on one node, `major` counts the node's texts (1, 2, 3...) and `minor`
/// is 0. Written `MAJOR.MINOR`.
public struct ChatPosition: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var major: UInt64
    public var minor: UInt32

    public init(major: UInt64, minor: UInt32 = 0) {
        self.major = major
        self.minor = minor
    }

    /// Parses `MAJOR.MINOR` (or `MAJOR`); `nil` for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let major = UInt64(parts[0]) else { return nil }
        let minor = parts.count == 2 ? UInt32(parts[1]) : 0
        guard let minor else { return nil }
        self.init(major: major, minor: minor)
    }

    public static func < (lhs: ChatPosition, rhs: ChatPosition) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    public var description: String { "\(self.major).\(self.minor)" }
}
