import NIOCore

/// The other nodes of a room as this node knows them: the members each last reported, when each
/// was last heard from, whether the room is split from them, and which hold decision came last.
///
/// A value that takes events (time passed in) and answers what follows from them: who joined
/// and left, which nodes have gone silent, whether a split or a hold decision changes anything.
/// The room keeps it under its lock and does the rest (holds on its machine, notices);
/// `ChatRemoteNodesTests` drives it with a fake clock.
struct ChatRemoteNodes {
    /// The members another node last reported, and when it last spoke.
    struct Node {
        var names: [String]
        var lastSeen: NIODeadline
    }

    private(set) var nodes: [String: Node] = [:]
    /// Cut off from the other nodes.
    private(set) var isSplit = false
    /// The number of the last hold decision taken (``ChatNodeFlow/decide()``).
    private var lastHoldDecision = 0

    /// `node` reported its members: who joined and who left since its last report.
    mutating func reported(_ names: [String], by node: String, now: NIODeadline) -> (joined: [String], left: [String]) {
        let old = self.nodes[node]?.names ?? []
        self.nodes[node] = Node(names: names, lastSeen: now)
        return (names.filter { !old.contains($0) }, old.filter { !names.contains($0) })
    }

    /// `node` said something else (texts): it is alive as well as its presence says.
    mutating func heard(from node: String, now: NIODeadline) {
        self.nodes[node]?.lastSeen = now
    }

    /// `node` said goodbye or went silent for good: its members, who have left.
    mutating func removed(_ node: String) -> [String] {
        self.nodes.removeValue(forKey: node)?.names ?? []
    }

    /// The nodes not heard from since `deadline`; none while the room is split, since then
    /// nobody can be heard.
    func silent(since deadline: NIODeadline) -> [String] {
        guard !self.isSplit else { return [] }
        return self.nodes.filter { $0.value.lastSeen < deadline }.map(\.key).sorted()
    }

    /// Whether a member of another node has `name` (best effort: two nodes may let the same
    /// name in at the same moment).
    func hasMember(named name: String) -> Bool {
        self.nodes.values.contains { $0.names.contains(name) }
    }

    /// The other nodes' members, node by node (in the order of their names).
    var usernames: [String] {
        self.nodes.keys.sorted().flatMap { self.nodes[$0]?.names ?? [] }
    }

    /// Whether the members here should hear that the other nodes are out of reach.
    var isCutOff: Bool { self.isSplit && !self.nodes.isEmpty }

    /// The room split from the other nodes or whole again; `false` if that is no change. When
    /// whole again, every node's clock starts again: one gone for good expires from now.
    mutating func setSplit(_ isSplit: Bool, now: NIODeadline) -> Bool {
        guard self.isSplit != isSplit else { return false }
        self.isSplit = isSplit
        if !isSplit {
            for node in self.nodes.keys {
                self.nodes[node]?.lastSeen = now
            }
        }
        return true
    }

    /// Whether hold decision `number` is to be applied: not if a later one already was (they
    /// may reach the room out of order).
    mutating func takes(holdDecision number: Int) -> Bool {
        guard number > self.lastHoldDecision else { return false }
        self.lastHoldDecision = number
        return true
    }
}
