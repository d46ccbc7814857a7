import NIOCore

/// The chat room's decisions, without I/O: who is in the room, what waits for each member, whose
/// senders must pause, and who is evicted.
///
/// A value type driven by events (a member joins or leaves, records are delivered, a member's
/// socket accepts bytes, the clock ticks) that returns what the I/O shell must do. Time comes in as
/// an argument, so tests drive it with a fake clock.
///
/// The policy, per member:
/// - Every record delivered to a member counts as *pending* until its socket has accepted it.
/// - A member whose pending bytes pass ``Limits/pauseBytes`` is *behind*: the others may not
///   publish until it is back under ``Limits/resumeBytes`` (the shell then stops reading from their
///   sockets, so TCP slows the senders down). A member is never held back by its own backlog, so a
///   client that writes without reading while it writes cannot lock itself out.
/// - A member with records pending whose socket accepted nothing for ``Limits/stallTimeout`` is
///   evicted, and so is one whose pending bytes pass ``Limits/maximumPendingBytes``.
struct ChatRoomState<Link> {
    /// The thresholds of the policy.
    struct Limits {
        /// Pending bytes above which a member holds back the others' senders.
        var pauseBytes: Int
        /// Pending bytes at or below which it lets them go again.
        var resumeBytes: Int
        /// Pending bytes above which a member is evicted at once.
        var maximumPendingBytes: Int
        /// How long a member with pending records may go without its socket accepting any bytes.
        var stallTimeout: TimeAmount
    }

    struct Member {
        let name: String
        let link: Link
        /// Bytes handed to the member's connection, not yet accepted by its socket.
        var pendingBytes = 0
        /// When its socket last accepted bytes, or when records started waiting for it.
        var lastProgress: NIODeadline
        /// Above ``Limits/pauseBytes`` and not yet back under ``Limits/resumeBytes``.
        var isBehind = false
    }

    /// Why a member was evicted.
    enum EvictionReason: Equatable {
        /// Records waited for it and its socket accepted nothing for this long.
        case stalled(pendingBytes: Int, after: TimeAmount)
        /// More bytes waited for it than the room allows.
        case overflowed(pendingBytes: Int, limit: Int)
    }

    struct Eviction {
        let id: ChatRoom.MemberID
        let name: String
        let link: Link
        let reason: EvictionReason
    }

    /// What the shell must do after an event.
    struct Actions {
        /// Members that now hold the bytes: write them to these links, in this order.
        var recipients: [(id: ChatRoom.MemberID, link: Link)] = []
        /// Members to close, with a notice saying why.
        var evictions: [Eviction] = []
        /// Members whose waiting senders may go on.
        var resumed: [ChatRoom.MemberID] = []

        var isEmpty: Bool { self.recipients.isEmpty && self.evictions.isEmpty && self.resumed.isEmpty }
    }

    let limits: Limits
    private(set) var members: [ChatRoom.MemberID: Member] = [:]
    /// The members' names: a join checks it instead of every member (a storm of 15,000 joins
    /// spent most of its time copying members to compare their names).
    private var idsByName: [String: ChatRoom.MemberID] = [:]
    /// Member identities in the order they joined.
    private(set) var order: [ChatRoom.MemberID] = []
    /// The members that are behind; while it holds anyone but a sender, that sender waits.
    private(set) var behind: Set<ChatRoom.MemberID> = []
    /// The members whose senders wait for the others to catch up: what a member leaving or
    /// catching up looks through (all 15,000 members of a room that empties at once looked
    /// through all the others, each: 50 % of the server's time under the room's lock).
    private var waiting: Set<ChatRoom.MemberID> = []
    /// Holds from outside the room (another node with a member behind, a full link to NATS);
    /// while any is set, every sender waits.
    private(set) var holds: Set<String> = []
    private var nextID: UInt64 = 0

    init(limits: Limits) {
        precondition(limits.resumeBytes <= limits.pauseBytes, "resumeBytes must not exceed pauseBytes")
        precondition(limits.pauseBytes <= limits.maximumPendingBytes, "pauseBytes must not exceed maximumPendingBytes")
        self.limits = limits
    }

    /// The member named `name`, if one is here.
    func member(named name: String) -> (id: ChatRoom.MemberID, member: Member)? {
        guard let id = self.idsByName[name], let member = self.members[id] else { return nil }
        return (id, member)
    }

    /// The usernames online, in the order they joined.
    var usernames: [String] {
        self.order.compactMap { self.members[$0]?.name }
    }

    /// Adds a member, or refuses a name that is taken or reserved.
    mutating func join(name: String, link: Link, now: NIODeadline) throws(ChatError) -> ChatRoom.MemberID {
        guard name != ChatRoom.serverName else { throw ChatError.usernameReserved(name) }
        guard self.idsByName[name] == nil else {
            throw ChatError.usernameTaken(name)
        }
        self.nextID += 1
        let id = ChatRoom.MemberID(value: self.nextID)
        self.members[id] = Member(name: name, link: link, lastProgress: now)
        self.idsByName[name] = id
        self.order.append(id)
        return id
    }

    /// Removes a member; senders it held back may go on.
    mutating func leave(_ id: ChatRoom.MemberID) -> (member: Member?, actions: Actions) {
        guard let member = self.remove(id) else { return (nil, Actions()) }
        var actions = Actions()
        self.resumeWaiters(into: &actions)
        return (member, actions)
    }

    /// Whether `id`'s sender may publish now: nobody else is behind. If not, it is marked waiting,
    /// and a later event's ``Actions/resumed`` names it once it may.
    mutating func mayPublish(_ id: ChatRoom.MemberID) -> Bool {
        guard self.members[id] != nil else { return true }
        if self.isClear(for: id) {
            self.waiting.remove(id)
            return true
        }
        self.waiting.insert(id)
        return false
    }

    /// Whether a sender is marked waiting.
    func isWaiting(_ id: ChatRoom.MemberID) -> Bool {
        self.waiting.contains(id)
    }

    /// Delivers `bytes` to every member but `sender` (or to everyone when `sender` is `nil`).
    mutating func broadcast(bytes: Int, from sender: ChatRoom.MemberID?, now: NIODeadline) -> Actions {
        var actions = Actions()
        actions.recipients.reserveCapacity(self.order.count)
        for id in self.order where id != sender {
            self.deliver(bytes: bytes, to: id, now: now, into: &actions)
        }
        self.finishEvictions(into: &actions)
        return actions
    }

    /// Delivers `bytes` to one member only.
    mutating func send(bytes: Int, to id: ChatRoom.MemberID, now: NIODeadline) -> Actions {
        var actions = Actions()
        self.deliver(bytes: bytes, to: id, now: now, into: &actions)
        self.finishEvictions(into: &actions)
        return actions
    }

    /// The member's socket accepted `bytes` of what was pending.
    mutating func written(_ id: ChatRoom.MemberID, bytes: Int, now: NIODeadline) -> Actions {
        guard var member = self.members[id] else { return Actions() }
        member.pendingBytes = max(0, member.pendingBytes - bytes)
        member.lastProgress = now
        var actions = Actions()
        if member.isBehind && member.pendingBytes <= self.limits.resumeBytes {
            member.isBehind = false
            self.members[id] = member
            self.behind.remove(id)
            self.resumeWaiters(into: &actions)
        } else {
            self.members[id] = member
        }
        return actions
    }

    /// Sets or clears an outside hold; clearing the last one lets the waiting senders go on.
    mutating func setHold(_ key: String, _ isHeld: Bool) -> Actions {
        var actions = Actions()
        if isHeld {
            self.holds.insert(key)
        } else if self.holds.remove(key) != nil {
            self.resumeWaiters(into: &actions)
        }
        return actions
    }

    /// Clears every outside hold whose key passes `matches`.
    mutating func clearHolds(where matches: (String) -> Bool) -> Actions {
        let cleared = self.holds.filter(matches)
        guard !cleared.isEmpty else { return Actions() }
        self.holds.subtract(cleared)
        var actions = Actions()
        self.resumeWaiters(into: &actions)
        return actions
    }

    /// Evicts the members whose sockets accepted nothing for the stall timeout while records waited.
    mutating func tick(now: NIODeadline) -> Actions {
        var actions = Actions()
        for id in self.order {
            guard let member = self.members[id], member.pendingBytes > 0 else { continue }
            let silent = now - member.lastProgress
            if silent >= self.limits.stallTimeout {
                actions.evictions.append(
                    Eviction(
                        id: id,
                        name: member.name,
                        link: member.link,
                        reason: .stalled(pendingBytes: member.pendingBytes, after: silent)
                    )
                )
            }
        }
        self.finishEvictions(into: &actions)
        return actions
    }

    /// How loaded the room is: the bytes waiting for the member furthest behind, and how many
    /// senders wait for their turn (for metrics, sampled at every stall check).
    var load: (slowestPendingBytes: Int, waitingSenders: Int) {
        var slowest = 0
        for member in self.members.values {
            slowest = max(slowest, member.pendingBytes)
        }
        return (slowest, self.waiting.count)
    }

    // MARK: Helpers

    private func isClear(for id: ChatRoom.MemberID) -> Bool {
        self.holds.isEmpty && (self.behind.isEmpty || (self.behind.count == 1 && self.behind.contains(id)))
    }

    private mutating func deliver(bytes: Int, to id: ChatRoom.MemberID, now: NIODeadline, into actions: inout Actions) {
        guard var member = self.members[id] else { return }
        if member.pendingBytes == 0 {
            // The stall clock starts when something starts waiting.
            member.lastProgress = now
        }
        member.pendingBytes += bytes
        if member.pendingBytes > self.limits.maximumPendingBytes {
            actions.evictions.append(
                Eviction(
                    id: id,
                    name: member.name,
                    link: member.link,
                    reason: .overflowed(pendingBytes: member.pendingBytes, limit: self.limits.maximumPendingBytes)
                )
            )
        } else if !member.isBehind && member.pendingBytes > self.limits.pauseBytes {
            member.isBehind = true
            self.behind.insert(id)
        }
        self.members[id] = member
        actions.recipients.append((id, member.link))
    }

    /// Removes the members `actions` evicts, and resumes the senders they held back.
    private mutating func finishEvictions(into actions: inout Actions) {
        guard !actions.evictions.isEmpty else { return }
        for eviction in actions.evictions {
            _ = self.remove(eviction.id)
        }
        let evicted = Set(actions.evictions.map(\.id))
        actions.recipients.removeAll { evicted.contains($0.id) }
        self.resumeWaiters(into: &actions)
    }

    private mutating func remove(_ id: ChatRoom.MemberID) -> Member? {
        guard let member = self.members.removeValue(forKey: id) else { return nil }
        self.idsByName[member.name] = nil
        self.order.removeSorted(id)
        self.behind.remove(id)
        if self.waiting.remove(id) != nil {
            // Its sender is still suspended; wake it so that it sees it has left.
            self.resumedGone.append(id)
        }
        return member
    }

    /// Senders that were waiting when their member was removed; they must be woken too.
    private var resumedGone: [ChatRoom.MemberID] = []

    private mutating func resumeWaiters(into actions: inout Actions) {
        actions.resumed.append(contentsOf: self.resumedGone)
        self.resumedGone.removeAll()
        guard !self.waiting.isEmpty else { return }
        // In the order they joined (identities are numbered as members join).
        for id in self.waiting.sorted(by: { $0.value < $1.value }) where self.isClear(for: id) {
            self.waiting.remove(id)
            actions.resumed.append(id)
        }
    }
}
