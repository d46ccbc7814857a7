import NIOCore

/// What the room machine needs to know of a member's link.
protocol ChatRoomMemberLink {
    /// It sent a hello: its records carry their position.
    var wantsPositions: Bool { get }
    /// It takes records rather than framed bytes (a browser).
    var takesRecords: Bool { get }
}

/// Every decision of the chat room, without I/O: membership and credit (``ChatRoomState``), the
/// room's positions and its log, the other nodes (``ChatRemoteNodes``) and their holds, whether
/// the other nodes must hear that someone here is behind, when the stream link may read on, and
/// who is told what.
///
/// Each event returns the one list of ``Action``s the room's storage carries out, in order:
/// ``ChatRoom`` owns the lock and the I/O (outboxes per event loop, waiting senders, the link
/// to the other nodes), and decides nothing. `ChatRoomMachineTests` drives it with a fake clock.
struct ChatRoomMachine<Link: ChatRoomMemberLink> {
    typealias MemberID = ChatRoom.MemberID

    /// What the storage does after an event.
    enum Action {
        /// Write the event's records to these members, in this order.
        case write(to: [(id: MemberID, link: Link)])
        /// Close this member, after a notice that says why; it has left the room.
        case evict(ChatRoomState<Link>.Eviction)
        /// This member's waiting sender may go on (or has left, and must see it).
        case resume(MemberID)
        /// Tell the other nodes (joins, leaves, whether someone here is behind).
        case tellNodes(ChatRoomOutput)
        /// A notice from the room to every member here but `except`.
        case announce(String, except: MemberID?)
        /// Nobody here is behind any more: the stream link may read on.
        case readOn
    }

    /// The credit and membership machine.
    private(set) var members: ChatRoomState<Link>
    /// The last texts, for newcomers and for members that come back.
    private(set) var log = ChatLog()
    /// How many texts the log keeps (0: none).
    let logSize: Int
    /// How many past texts a newcomer is sent first.
    let historySize: Int
    /// The position of this node's first text.
    let positionBase: UInt64
    /// The position of the next text, in a room on one node (or over core NATS).
    private(set) var nextPosition: UInt64
    /// Whether joins and leaves are announced to the members here.
    let announcesMembership: Bool
    /// Members whose records carry positions; members that take records (browsers).
    private(set) var positionedMembers = 0
    private(set) var recordMembers = 0
    /// The other nodes: their members, whether the room is split from them, hold ordering.
    private(set) var remote = ChatRemoteNodes()
    /// The room spans other nodes: they hear joins, leaves and whether someone here is behind.
    private(set) var spansNodes = false
    /// Whether the other nodes were last told that someone here is behind.
    private var wasBehind = false
    /// The room is kept in a stream: members' texts go to the other nodes only, and come back.
    private(set) var streamsTexts = false
    /// The stream link waits for nobody here to be behind (``readsOn()``).
    private var linkWaits = false

    init(
        limits: ChatRoomState<Link>.Limits,
        historySize: Int = 0,
        logSize: Int,
        positionBase: UInt64,
        announcesMembership: Bool
    ) {
        self.members = ChatRoomState(limits: limits)
        self.historySize = historySize
        self.logSize = max(logSize, historySize)
        self.positionBase = positionBase
        self.nextPosition = positionBase
        self.announcesMembership = announcesMembership
    }

    /// The position of the last text the room has delivered, as far as it knows: a member that
    /// joins now has everything up to it. On one node, one before the next (the base minus one
    /// before any text); in a stream, the last position the log has.
    var lastPosition: ChatPosition? {
        guard self.streamsTexts else { return ChatPosition(major: self.nextPosition - 1) }
        return self.log.entries.last(where: { $0.position != nil })?.position
    }

    /// Whether a member here is behind (so the other nodes' senders should wait).
    var isBehind: Bool { !self.members.behind.isEmpty }

    // MARK: Events: the room's own life

    /// The room now spans other nodes.
    mutating func attach() { self.spansNodes = true }

    /// From now on the room is kept in a stream.
    mutating func streamTexts() { self.streamsTexts = true }

    /// Adds a member. The others (here unless `quietly`, and on the other nodes) hear of it; the
    /// storage then sends it its ``greeting(for:wantsPositions:resume:older:)``, each piece
    /// through ``send(bytes:to:now:)``.
    mutating func join(
        name: String,
        link: Link,
        quietly: Bool = false,
        now: NIODeadline
    ) throws(ChatError) -> (id: MemberID, actions: [Action]) {
        // Best effort across nodes: two nodes may let the same name in at the same moment.
        if self.remote.hasMember(named: name) { throw ChatError.usernameTaken(name) }
        let id = try self.members.join(name: name, link: link, now: now)
        if link.wantsPositions { self.positionedMembers += 1 }
        if link.takesRecords { self.recordMembers += 1 }
        var actions: [Action] = []
        if !quietly { self.said("\(name) joined", joined: name, except: id, into: &actions) }
        return (id, actions)
    }

    /// Removes a member, if it is still here; `quietly`: nobody is told (it comes back on a new
    /// connection). Returns its name, if it was here.
    mutating func leave(_ id: MemberID, quietly: Bool = false) -> (name: String?, actions: [Action]) {
        let (member, changes) = self.members.leave(id)
        if let member {
            if member.link.wantsPositions { self.positionedMembers -= 1 }
            if member.link.takesRecords { self.recordMembers -= 1 }
        }
        var actions = self.settle(changes)
        if let name = member?.name, !quietly { self.said("\(name) left", left: name, into: &actions) }
        return (member?.name, actions)
    }

    /// Whether `id`'s sender may publish now; if not, a later ``Action/resume(_:)`` says when.
    mutating func mayPublish(_ id: MemberID) -> Bool { self.members.mayPublish(id) }

    /// Whether a sender is marked waiting.
    func isWaiting(_ id: MemberID) -> Bool { self.members.isWaiting(id) }

    /// Delivers `count` records (`bytes` in all) to every member here but `excluding`, and keeps
    /// them in the log (`record(i)`: who said the i-th and what, called only while the log keeps
    /// texts) at `positions`; without positions they are numbered here, in the order the room
    /// delivers them.
    mutating func deliver(
        count: Int,
        bytes: Int,
        at given: [ChatPosition?]? = nil,
        excluding: MemberID?,
        now: NIODeadline,
        record: (Int) -> (name: String, text: ByteBuffer)
    ) -> (positions: [ChatPosition?], actions: [Action]) {
        let positions: [ChatPosition?]
        if let given {
            positions = given
        } else {
            let first = self.nextPosition
            self.nextPosition += UInt64(count)
            positions = (0..<count).map { ChatPosition(major: first + UInt64($0)) }
        }
        self.remember(count: count, at: positions, record: record)
        return (positions, self.settle(self.members.broadcast(bytes: bytes, from: excluding, now: now)))
    }

    /// Keeps `count` records in the log at `positions` (a restarted node's history).
    mutating func remember(
        count: Int,
        at positions: [ChatPosition?],
        record: (Int) -> (name: String, text: ByteBuffer)
    ) {
        guard self.logSize > 0, count > 0 else { return }
        // Only what the log keeps; copied, since a text is a slice of what its sender's socket
        // read, which the log must not keep: all into one buffer, sliced when it is full.
        let kept = max(0, count - self.logSize)..<count
        let said = kept.map(record)
        var copies = ByteBuffer()
        copies.reserveCapacity(said.reduce(0) { $0 + $1.text.readableBytes })
        for (_, text) in said { copies.writeImmutableBuffer(text) }
        var offset = copies.readerIndex
        for (index, (name, text)) in zip(kept, said) {
            let length = text.readableBytes
            let copy = copies.getSlice(at: offset, length: length) ?? ByteBuffer()
            offset += length
            self.log.append(ChatLog.Entry(position: positions[index], name: name, text: copy), keeping: self.logSize)
        }
    }

    /// Delivers `bytes` to one member only (its history, a notice, a heartbeat).
    mutating func send(bytes: Int, to id: MemberID, now: NIODeadline) -> [Action] {
        self.settle(self.members.send(bytes: bytes, to: id, now: now))
    }

    /// A notice of `bytes` to every member here but `except`.
    mutating func broadcast(bytes: Int, except: MemberID?, now: NIODeadline) -> [Action] {
        self.settle(self.members.broadcast(bytes: bytes, from: except, now: now))
    }

    /// A member's socket took `bytes` (or its connection failed, and they never will be).
    mutating func written(_ id: MemberID, bytes: Int, now: NIODeadline) -> [Action] {
        self.settle(self.members.written(id, bytes: bytes, now: now))
    }

    /// The stall watch: evicts the members whose sockets took nothing for the stall timeout.
    mutating func tick(now: NIODeadline) -> [Action] {
        self.settle(self.members.tick(now: now))
    }

    /// Sets or clears a hold from outside the room (`decision`: a hold decision's number, which
    /// is ignored when a later one was already applied).
    mutating func setHold(_ key: String, _ isHeld: Bool, decision: Int? = nil) -> [Action] {
        if let decision, !self.remote.takes(holdDecision: decision) { return [] }
        return self.settle(self.members.setHold(key, isHeld))
    }

    /// Whether the stream link may read on now; if not, a later ``Action/readOn`` says when.
    mutating func readsOn() -> Bool {
        guard self.isBehind else { return true }
        self.linkWaits = true
        return false
    }

    // MARK: Events: the other nodes

    /// Another node said something (texts): it is alive.
    mutating func heard(from node: String, now: NIODeadline) {
        self.remote.heard(from: node, now: now)
    }

    /// Another node reported its members and whether one of them is behind.
    mutating func reported(_ names: [String], by node: String, isBehind: Bool, now: NIODeadline) -> [Action] {
        let (joined, left) = self.remote.reported(names, by: node, now: now)
        var actions = self.settle(self.members.setHold("node:" + node, isBehind))
        self.announce(joined: joined, left: left, into: &actions)
        return actions
    }

    /// Another node said goodbye, or has not been heard from for too long.
    mutating func removed(node: String) -> [Action] {
        let left = self.remote.removed(node)
        var actions = self.settle(self.members.setHold("node:" + node, false))
        self.announce(joined: [], left: left, into: &actions)
        return actions
    }

    /// The room split from the other nodes or is whole again. While split, nobody waits for them.
    mutating func setSplit(_ isSplit: Bool, now: NIODeadline) -> [Action] {
        guard self.remote.setSplit(isSplit, now: now) else { return [] }
        var actions = isSplit ? self.settle(self.members.clearHolds { $0.hasPrefix("node:") }) : []
        let text =
            isSplit
            ? "room split: the other nodes are out of reach until NATS is back"
            : "room whole again: the other nodes are back"
        actions.append(.announce(text, except: nil))
        return actions
    }

    // MARK: Helpers

    /// The membership machine's decision as actions, and what follows from it here.
    private mutating func settle(_ changes: ChatRoomState<Link>.Actions) -> [Action] {
        var actions: [Action] = []
        if !changes.recipients.isEmpty { actions.append(.write(to: changes.recipients)) }
        for id in changes.resumed { actions.append(.resume(id)) }
        for eviction in changes.evictions {
            // Gone from the room now: its connection's leave, later, finds nothing to count down.
            if eviction.link.wantsPositions { self.positionedMembers -= 1 }
            if eviction.link.takesRecords { self.recordMembers -= 1 }
            actions.append(.evict(eviction))
            self.said("\(eviction.name) left", left: eviction.name, into: &actions)
        }
        if self.linkWaits && !self.isBehind {
            self.linkWaits = false
            actions.append(.readOn)
        }
        if self.spansNodes && self.isBehind != self.wasBehind {
            self.wasBehind = self.isBehind
            actions.append(.tellNodes(.behindChanged))
        }
        return actions
    }

    /// A member here joined or left: the other nodes hear of it, and the members here too.
    private func said(
        _ text: String,
        joined: String? = nil,
        left: String? = nil,
        except: MemberID? = nil,
        into actions: inout [Action]
    ) {
        if self.spansNodes, let name = joined { actions.append(.tellNodes(.joined(name))) }
        if self.spansNodes, let name = left { actions.append(.tellNodes(.left(name))) }
        if self.announcesMembership { actions.append(.announce(text, except: except)) }
    }

    private func announce(joined: [String], left: [String], into actions: inout [Action]) {
        guard self.announcesMembership else { return }
        actions += joined.map { .announce("\($0) joined", except: nil) }
        actions += left.map { .announce("\($0) left", except: nil) }
    }
}
