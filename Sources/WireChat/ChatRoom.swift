public import NIOCore
import Synchronization

/// A broadcast hub: every text a member publishes goes to every other member, in the order the
/// room received it, through each member's bounded outbound queue.
///
/// All decisions are made under one lock on a value-type state, so that every member sees the
/// texts of all senders in one order; the lock is never held across a wait. A member whose queue
/// is full is dropped on the spot (its connection closed), so a client that stops reading never
/// slows down the others.
public final class ChatRoom: Sendable {
    /// The username of the room's own notices; no client may take it.
    public static let serverName = "[server]"

    /// Identifies a member of the room.
    public struct MemberID: Hashable, Sendable {
        let value: UInt64
    }

    struct Member {
        var name: String
        var nameFrame: ByteBuffer
        var subscriber: ChatSubscriber
        var onDrop: @Sendable (ChatError) -> Void
    }

    private struct State {
        var members: [MemberID: Member] = [:]
        var order: [MemberID] = []
        var history: [[ByteBuffer]] = []
        var nextID: UInt64 = 0
    }

    /// How many past texts a newcomer receives first.
    public let historySize: Int
    /// Whether joins and leaves are announced to the others.
    public let announcesMembership: Bool
    private let state = Mutex(State())
    private let serverNameFrame = ByteBuffer(string: ChatRoom.serverName)

    /// Creates an empty room.
    public init(historySize: Int = 0, announcesMembership: Bool = true) {
        precondition(historySize >= 0, "historySize must not be negative")
        self.historySize = historySize
        self.announcesMembership = announcesMembership
    }

    /// The usernames online, in the order they joined.
    public var usernames: [String] {
        self.state.withLock { state in state.order.compactMap { state.members[$0]?.name } }
    }

    /// Adds a member; the history goes into its queue before anything else can.
    func join(
        name: String,
        subscriber: ChatSubscriber,
        onDrop: @escaping @Sendable (ChatError) -> Void
    ) throws(ChatError) -> MemberID {
        let id = try self.state.withLock { state throws(ChatError) -> MemberID in
            guard name != Self.serverName else { throw ChatError.usernameReserved(name) }
            guard !state.members.values.contains(where: { $0.name == name }) else {
                throw ChatError.usernameTaken(name)
            }
            state.nextID += 1
            let id = MemberID(value: state.nextID)
            for record in state.history {
                _ = subscriber.offer(record)
            }
            state.members[id] = Member(name: name, nameFrame: ByteBuffer(string: name), subscriber: subscriber, onDrop: onDrop)
            state.order.append(id)
            return id
        }
        if self.announcesMembership {
            self.broadcast([self.serverNameFrame, ByteBuffer(string: "\(name) joined")], except: id, remember: false)
        }
        return id
    }

    /// Removes a member, if it is still in the room, and closes its queue after what it holds.
    func leave(_ id: MemberID) {
        let member = self.state.withLock { state -> Member? in
            state.order.removeAll { $0 == id }
            return state.members.removeValue(forKey: id)
        }
        guard let member else { return }
        member.subscriber.close()
        if self.announcesMembership {
            self.broadcast([self.serverNameFrame, ByteBuffer(string: "\(member.name) left")], except: id, remember: false)
        }
    }

    /// Relays `text` from `sender` to every other member, as the two frames (username, text).
    func publish(_ text: ByteBuffer, from sender: MemberID) {
        guard let nameFrame = self.state.withLock({ $0.members[sender]?.nameFrame }) else { return }
        self.broadcast([nameFrame, text], except: sender, remember: true)
    }

    /// Sends a notice from the room to one member only.
    func notify(_ id: MemberID, _ text: String) {
        let dropped = self.state.withLock { state -> [Member] in
            guard let member = state.members[id] else { return [] }
            if member.subscriber.offer([self.serverNameFrame, ByteBuffer(string: text)]) {
                return []
            }
            return self.remove([id], from: &state)
        }
        self.dropped(dropped)
    }

    private func broadcast(_ record: [ByteBuffer], except sender: MemberID, remember: Bool) {
        let dropped = self.state.withLock { state -> [Member] in
            if remember && self.historySize > 0 {
                state.history.append(record)
                if state.history.count > self.historySize {
                    state.history.removeFirst(state.history.count - self.historySize)
                }
            }
            var overflowed: [MemberID] = []
            for id in state.order where id != sender {
                if let member = state.members[id], !member.subscriber.offer(record) {
                    overflowed.append(id)
                }
            }
            return self.remove(overflowed, from: &state)
        }
        self.dropped(dropped)
    }

    private func remove(_ ids: [MemberID], from state: inout State) -> [Member] {
        guard !ids.isEmpty else { return [] }
        state.order.removeAll { ids.contains($0) }
        return ids.compactMap { state.members.removeValue(forKey: $0) }
    }

    private func dropped(_ members: [Member]) {
        for member in members {
            let load = member.subscriber.load
            member.subscriber.close()
            member.onDrop(.queueOverflow(username: member.name, messages: load.messages, bytes: load.bytes))
            if self.announcesMembership {
                self.broadcast([self.serverNameFrame, ByteBuffer(string: "\(member.name) left")], except: MemberID(value: 0), remember: false)
            }
        }
    }
}
