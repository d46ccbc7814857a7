import NIOCore
import Synchronization
import WireFraming

/// What a room tells the other nodes of the same room.
enum ChatRoomOutput: Sendable {
    /// A member here sent texts.
    case texts(name: String, texts: [ByteBuffer], sender: ChatRoom.MemberID)
    /// A member joined here.
    case joined(String)
    /// A member left here (or was evicted).
    case left(String)
    /// Whether anyone here is behind may have changed: read ``ChatRoom/isBehind`` and say so.
    case behindChanged
}

/// A room that spans several nodes: the other nodes' records and members, their holds on this
/// node's senders, and what this node's members are told when the room splits and heals.
extension ChatRoom {
    /// The outlet and name of a sender, taken under the lock and used outside it.
    struct Outlet {
        let send: @Sendable (ChatRoomOutput) -> EventLoopFuture<Void>?
        let name: String
    }

    /// Connects the room to the other nodes: `outlet` is called, outside the room's lock, for
    /// everything the other nodes must hear. For a sender's texts it may return a future that
    /// completes once they are counted: the sender waits for it before its next burst.
    func attach(_ outlet: @escaping @Sendable (ChatRoomOutput) -> EventLoopFuture<Void>?) {
        self.state.withLock { state in
            state.outlet = outlet
            state.machine.attach()
        }
    }

    /// Whether a member of this node is behind (so the other nodes' senders should wait).
    var isBehind: Bool {
        self.state.withLock { $0.machine.isBehind }
    }

    /// The usernames of every node's members: this node's in the order they joined, then the
    /// others' as last reported.
    public var allUsernames: [String] {
        self.state.withLock { state in
            state.machine.members.usernames + state.machine.remote.usernames
        }
    }

    /// Delivers records from `node` to every member here, framed in this room's framing; returns
    /// how many it refused because that framing cannot carry them (too long for the header or
    /// prefix, or a newline in lines framing), and whether a member here is behind once they are
    /// delivered (decided with the delivery, not read back after it).
    @discardableResult
    func receiveRemote(
        _ records: [(name: String, text: ByteBuffer)],
        from node: String,
        now: NIODeadline = .now()
    ) -> (refused: Int, isBehind: Bool) {
        var refused = 0
        var bytes = ByteBuffer()
        var ranges: [Range<Int>] = []
        var sources: [(user: String, text: ByteBuffer)] = []
        // Each sender's name is checked and framed once per batch; `nil` when it cannot be framed.
        var nameFrames: [String: ByteBuffer?] = [:]
        for record in records {
            let nameFrame: ByteBuffer?
            if let known = nameFrames[record.name] {
                nameFrame = known
            } else {
                let name = ByteBuffer(string: record.name)
                nameFrame = (try? self.encoder.validate(name)).map { self.nameFrame(record.name) }
                nameFrames[record.name] = nameFrame
            }
            // Another node's clients may use another framing; what this one cannot frame stays there.
            guard let nameFrame, (try? self.encoder.validate(record.text)) != nil else {
                refused += 1
                continue
            }
            ranges.append(self.appendRecord(record.text, nameFrame: nameFrame, to: &bytes))
            sources.append((record.name, record.text))
        }
        guard bytes.readableBytes > 0 else { return (refused, self.isBehind) }
        let isBehind = self.withWork { [bytes, ranges, sources] state, work in
            // Texts say a node is alive as well as its presence does (which may queue behind them).
            state.machine.heard(from: node, now: now)
            // Over core NATS there is no order common to the nodes: this node numbers what it delivers.
            self.deliver(bytes, records: ranges, sources: { sources }, excluding: nil, in: &state, work: &work)
            return state.machine.isBehind
        }
        return (refused, isBehind)
    }

    /// Sets what another node reported: its members (joins and leaves are announced here) and
    /// whether one of them is behind (this node's senders then wait).
    func updateRemote(node: String, names: [String], isBehind: Bool, now: NIODeadline = .now()) {
        self.act { $0.reported(names, by: node, isBehind: isBehind, now: now) }
    }

    /// Forgets another node: it said goodbye, or has not been heard from for too long.
    func removeRemote(node: String) {
        self.act { $0.removed(node: node) }
    }

    /// The nodes not heard from since `deadline`; none while the room is split, since then
    /// nobody can be heard.
    func silentNodes(since deadline: NIODeadline) -> [String] {
        self.state.withLock { $0.machine.remote.silent(since: deadline) }
    }

    /// Marks the room split from the other nodes or whole again, and tells the members here.
    /// While split, nobody waits for the other nodes, and their members are kept until they are
    /// heard from again.
    func setSplit(_ isSplit: Bool, now: NIODeadline = .now()) {
        self.act { $0.setSplit(isSplit, now: now) }
    }

    /// Holds every sender here (the link to the other nodes cannot take more), or lets them go.
    func setOutboundHold(_ isHeld: Bool) {
        self.setHold("outbound", isHeld)
    }

    /// Holds every sender here (another node has not acknowledged a window's worth), or lets them
    /// go; a decision older than one already applied (a lower `decision` number) is ignored.
    func setWindowHold(_ isHeld: Bool, decision: Int) {
        self.setHold("window", isHeld, decision: decision)
    }

    private func setHold(_ key: String, _ isHeld: Bool, decision: Int? = nil) {
        self.act { $0.setHold(key, isHeld, decision: decision) }
    }
}
