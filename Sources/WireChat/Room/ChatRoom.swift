import NIOCore
import Synchronization
@_spi(Broadcast) import Wire
import WireFraming

/// A broadcast hub: every text a member publishes goes to every other member, in the order the
/// room received it, with flow control instead of loss.
///
/// The decisions are ``ChatRoomState``'s, made under one lock; this class is the I/O around them.
/// A burst of texts is framed once, as one buffer, and that same buffer is written to every
/// recipient (no copy per member): each event loop gets one task per burst that writes to all of
/// its members and flushes each once. A member that falls behind makes the other senders wait
/// (their sockets are not read meanwhile, so TCP slows them down); a member whose socket accepts
/// nothing for the stall timeout is evicted with a notice, and the room goes on at full speed.
public final class ChatRoom: Sendable {
    /// The username of the room's own notices; no client may take it.
    public static let serverName = "[server]"

    /// Identifies a member of the room.
    public struct MemberID: Hashable, Sendable {
        let value: UInt64
    }

    /// How the room reaches a member: its connection, and what to call when it is evicted.
    struct Link: Sendable {
        let connection: any ChatMemberSink
        let onEvict: @Sendable (ChatError) -> Void
    }

    /// What waits to be written on one event loop, per member, in order.
    struct Outbox {
        var scheduled = false
        var queues: [MemberID: (link: Link, buffers: [ByteBuffer])] = [:]
    }

    struct State {
        var machine: ChatRoomState<Link>
        var history: CircularBuffer<ByteBuffer> = []
        var waiters: [MemberID: CheckedContinuation<Void, Never>] = [:]
        var cancelledWaiters: Set<MemberID> = []
        var outboxes: [ObjectIdentifier: Outbox] = [:]
        /// Where the room tells the other nodes what happens here, if it spans several.
        var outlet: (@Sendable (ChatRoomOutput) -> Void)?
        /// The members of the other nodes, by node.
        var remoteNodes: [String: RemoteNode] = [:]
        /// Cut off from the other nodes.
        var isSplit = false
        /// Whether the other nodes were last told that someone here is behind.
        var wasBehind = false
        /// The number of the last window-hold decision applied (``ChatNodeFlow/decide()``).
        var lastHoldDecision = 0
        /// The room is kept in a stream: members' texts go to the outlet only, and come back.
        var streamsTexts = false
        /// The stream link, waiting for this node's members to catch up.
        var catchUpWaiter: CheckedContinuation<Void, Never>?
    }

    /// Writes are handed to a socket in slices of at most this many bytes, each acknowledged on its
    /// own, so that a slow reader's progress is seen even inside a large burst.
    static let progressChunk = 64 * 1024

    /// How many past texts a newcomer receives first.
    public let historySize: Int
    /// Whether joins and leaves are announced to the others.
    public let announcesMembership: Bool
    let encoder: MessageEncoder
    let stallTimeout: TimeAmount
    let state: Mutex<State>
    private let serverNameFrame: ByteBuffer

    init(configuration: ChatServerConfiguration) {
        self.historySize = configuration.historySize
        self.announcesMembership = configuration.announcesMembership
        self.encoder = MessageEncoder(framing: configuration.server.framing, maximumMessageSize: Int.max)
        self.stallTimeout = TimeAmount(configuration.stallTimeout)
        let pauseBytes = max(1, min(configuration.pauseQueuedBytes, configuration.maximumQueuedBytes / 2))
        let limits = ChatRoomState<Link>.Limits(
            pauseBytes: pauseBytes,
            resumeBytes: pauseBytes / 2,
            maximumPendingBytes: configuration.maximumQueuedBytes,
            stallTimeout: self.stallTimeout
        )
        self.state = Mutex(State(machine: ChatRoomState(limits: limits)))
        var nameFrame = ByteBuffer()
        Self.writeFrame(ByteBuffer(string: Self.serverName), encoder: self.encoder, into: &nameFrame)
        self.serverNameFrame = nameFrame
    }

    /// The usernames online on this node, in the order they joined (``allUsernames`` adds the
    /// other nodes').
    public var usernames: [String] {
        self.state.withLock { $0.machine.usernames }
    }

    /// A username as the frame that starts each of that member's records.
    func nameFrame(_ name: String) -> ByteBuffer {
        var frame = ByteBuffer()
        Self.writeFrame(ByteBuffer(string: name), encoder: self.encoder, into: &frame)
        return frame
    }

    // MARK: Membership

    /// Adds a member; the history is queued for it before anything else can be.
    func join(
        name: String,
        connection: any ChatMemberSink,
        onEvict: @escaping @Sendable (ChatError) -> Void
    ) throws(ChatError) -> MemberID {
        let link = Link(connection: connection, onEvict: onEvict)
        let now = NIODeadline.now()
        let (id, work, outlet) = try self.state.withLock { state throws(ChatError) -> (MemberID, Work, (@Sendable (ChatRoomOutput) -> Void)?) in
            // Best effort across nodes: two nodes may let the same name in at the same moment.
            if state.remoteNodes.values.contains(where: { $0.names.contains(name) }) {
                throw ChatError.usernameTaken(name)
            }
            let id = try state.machine.join(name: name, link: link, now: now)
            var work = Work()
            var records = Array(state.history)
            if self.announcesMembership && !records.isEmpty {
                // Marked, so that nobody takes an old text for a new one.
                records.insert(self.notice("history: the last \(records.count) text\(records.count == 1 ? "" : "s")"), at: 0)
                records.append(self.notice("end of history"))
            }
            for record in records {
                let actions = state.machine.send(bytes: record.readableBytes, to: id, now: now)
                self.apply(actions, bytes: record, to: &state, work: &work)
            }
            return (id, work, state.outlet)
        }
        self.perform(work)
        outlet?(.joined(name))
        if self.announcesMembership {
            self.broadcastNotice("\(name) joined", except: id)
        }
        return id
    }

    /// Removes a member, if it is still in the room; what was queued for it is still written.
    func leave(_ id: MemberID) {
        let (member, work, outlet) = self.state.withLock { state -> (ChatRoomState<Link>.Member?, Work, (@Sendable (ChatRoomOutput) -> Void)?) in
            let (member, actions) = state.machine.leave(id)
            var work = Work()
            self.apply(actions, bytes: nil, to: &state, work: &work)
            return (member, work, state.outlet)
        }
        self.perform(work)
        if let member { outlet?(.left(member.name)) }
        if let member, self.announcesMembership {
            self.broadcastNotice("\(member.name) left", except: nil)
        }
    }

    /// Tells every member that the server is shutting down, and closes each one once what was
    /// queued for it is written (or after a second for one that does not read).
    func shutDown() {
        let bytes = self.notice("the server is shutting down")
        let work = self.state.withLock { state -> Work in
            var work = Work()
            let actions = state.machine.broadcast(bytes: bytes.readableBytes, from: nil, now: .now())
            self.apply(actions, bytes: bytes, to: &state, work: &work)
            for (_, member) in state.machine.members {
                Self.closeAfterWrites(member.link.connection, within: .seconds(1))
            }
            return work
        }
        self.perform(work)
    }

    // MARK: Records

    /// Relays `texts` from `sender` to every other member, each as two frames (username, text),
    /// framed once for all of them. Waits while another member is too far behind; returns at once,
    /// dropping the texts, if the sender has left the room or its task is cancelled.
    func publish(_ texts: [ByteBuffer], from sender: MemberID, nameFrame: ByteBuffer) async {
        guard !texts.isEmpty else { return }
        let streams = self.state.withLock { $0.streamsTexts }
        var bytes = ByteBuffer()
        var history: [ByteBuffer] = []
        if !streams {
            // Framed once for every recipient; in a room kept in a stream, they come back framed.
            var size = 0
            for text in texts {
                size += nameFrame.readableBytes + text.readableBytes + self.encoder.overhead(forLength: text.readableBytes)
            }
            bytes.reserveCapacity(size)
            for text in texts {
                self.appendRecord(text, nameFrame: nameFrame, to: &bytes, history: &history)
            }
        }
        while !Task.isCancelled {
            let (done, work, outlet) = self.state.withLock { state -> (Bool, Work, Outlet?) in
                var work = Work()
                guard let member = state.machine.members[sender] else { return (true, work, nil) }
                guard state.machine.mayPublish(sender) else { return (false, work, nil) }
                if !streams {
                    self.remember(history, in: &state)
                    let actions = state.machine.broadcast(bytes: bytes.readableBytes, from: sender, now: .now())
                    self.apply(actions, bytes: bytes, to: &state, work: &work)
                }
                return (true, work, state.outlet.map { Outlet(send: $0, name: member.name) })
            }
            self.perform(work)
            // Outside the lock, from the sender's own task: its texts reach the other nodes in order.
            if let outlet {
                outlet.send(.texts(name: outlet.name, texts: texts, sender: sender))
            }
            if done { return }
            await self.waitForTurn(sender)
        }
    }

    /// Answers a member's `/who` with the usernames online, here and on the other nodes.
    func answerWho(_ id: MemberID) {
        let isSplit = self.state.withLock { $0.isSplit && !$0.remoteNodes.isEmpty }
        let note = isSplit ? " (the other nodes are out of reach)" : ""
        self.notify(id, "online: " + self.allUsernames.joined(separator: ", ") + note)
    }

    /// Sends a notice from the room to one member only.
    func notify(_ id: MemberID, _ text: String) {
        let bytes = self.notice(text)
        let work = self.state.withLock { state -> Work in
            var work = Work()
            let actions = state.machine.send(bytes: bytes.readableBytes, to: id, now: .now())
            self.apply(actions, bytes: bytes, to: &state, work: &work)
            return work
        }
        self.perform(work)
    }

    /// Sends a notice from the room to every member but `except`.
    func broadcastNotice(_ text: String, except: MemberID?) {
        let bytes = self.notice(text)
        let work = self.state.withLock { state -> Work in
            var work = Work()
            let actions = state.machine.broadcast(bytes: bytes.readableBytes, from: except, now: .now())
            self.apply(actions, bytes: bytes, to: &state, work: &work)
            return work
        }
        self.perform(work)
    }

    func notice(_ text: String) -> ByteBuffer {
        var bytes = self.serverNameFrame
        Self.writeFrame(ByteBuffer(string: text), encoder: self.encoder, into: &bytes)
        return bytes
    }

    func remember(_ records: [ByteBuffer], in state: inout State) {
        guard self.historySize > 0 else { return }
        for record in records {
            state.history.append(record)
        }
        while state.history.count > self.historySize {
            state.history.removeFirst()
        }
    }

    /// Appends one record (the sender's name frame, then the text framed) to `bytes`, and a copy
    /// of it to `history` if the room keeps one.
    func appendRecord(_ text: ByteBuffer, nameFrame: ByteBuffer, to bytes: inout ByteBuffer, history: inout [ByteBuffer]) {
        let start = bytes.writerIndex
        bytes.writeImmutableBuffer(nameFrame)
        Self.writeFrame(text, encoder: self.encoder, into: &bytes)
        if self.historySize > 0 {
            // A copy, so that the history does not keep whole bursts alive.
            history.append(ByteBuffer(bytes.readableBytesView[start..<bytes.writerIndex]))
        }
    }

    static func writeFrame(_ payload: ByteBuffer, encoder: MessageEncoder, into out: inout ByteBuffer) {
        encoder.writePrefix(length: payload.readableBytes, into: &out)
        out.writeImmutableBuffer(payload)
        encoder.writeSuffix(into: &out)
    }
}
