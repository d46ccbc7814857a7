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
        let connection: WireConnection
        let onEvict: @Sendable (ChatError) -> Void
    }

    /// What waits to be written on one event loop, per member, in order.
    private struct Outbox {
        var scheduled = false
        var queues: [MemberID: (link: Link, buffers: [ByteBuffer])] = [:]
    }

    private struct State {
        var machine: ChatRoomState<Link>
        var history: CircularBuffer<ByteBuffer> = []
        var waiters: [MemberID: CheckedContinuation<Void, Never>] = [:]
        var cancelledWaiters: Set<MemberID> = []
        var outboxes: [ObjectIdentifier: Outbox] = [:]
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
    private let state: Mutex<State>
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

    /// The usernames online, in the order they joined.
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
        connection: WireConnection,
        onEvict: @escaping @Sendable (ChatError) -> Void
    ) throws(ChatError) -> MemberID {
        let link = Link(connection: connection, onEvict: onEvict)
        let now = NIODeadline.now()
        let (id, work) = try self.state.withLock { state throws(ChatError) -> (MemberID, Work) in
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
            return (id, work)
        }
        self.perform(work)
        if self.announcesMembership {
            self.broadcastNotice("\(name) joined", except: id)
        }
        return id
    }

    /// Removes a member, if it is still in the room; what was queued for it is still written.
    func leave(_ id: MemberID) {
        let (member, work) = self.state.withLock { state -> (ChatRoomState<Link>.Member?, Work) in
            let (member, actions) = state.machine.leave(id)
            var work = Work()
            self.apply(actions, bytes: nil, to: &state, work: &work)
            return (member, work)
        }
        self.perform(work)
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
        var bytes = ByteBuffer()
        var size = 0
        for text in texts {
            size += nameFrame.readableBytes + text.readableBytes + self.encoder.overhead(forLength: text.readableBytes)
        }
        bytes.reserveCapacity(size)
        var history: [ByteBuffer] = []
        for text in texts {
            let start = bytes.writerIndex
            bytes.writeImmutableBuffer(nameFrame)
            Self.writeFrame(text, encoder: self.encoder, into: &bytes)
            if self.historySize > 0 {
                // A copy, so that the history does not keep whole bursts alive.
                history.append(ByteBuffer(bytes.readableBytesView[start..<bytes.writerIndex]))
            }
        }
        while !Task.isCancelled {
            let (done, work) = self.state.withLock { state -> (Bool, Work) in
                var work = Work()
                guard state.machine.members[sender] != nil else { return (true, work) }
                guard state.machine.mayPublish(sender) else { return (false, work) }
                self.remember(history, in: &state)
                let actions = state.machine.broadcast(bytes: bytes.readableBytes, from: sender, now: .now())
                self.apply(actions, bytes: bytes, to: &state, work: &work)
                return (true, work)
            }
            self.perform(work)
            if done { return }
            await self.waitForTurn(sender)
        }
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
    private func broadcastNotice(_ text: String, except: MemberID?) {
        let bytes = self.notice(text)
        let work = self.state.withLock { state -> Work in
            var work = Work()
            let actions = state.machine.broadcast(bytes: bytes.readableBytes, from: except, now: .now())
            self.apply(actions, bytes: bytes, to: &state, work: &work)
            return work
        }
        self.perform(work)
    }

    private func notice(_ text: String) -> ByteBuffer {
        var bytes = self.serverNameFrame
        Self.writeFrame(ByteBuffer(string: text), encoder: self.encoder, into: &bytes)
        return bytes
    }

    private func remember(_ records: [ByteBuffer], in state: inout State) {
        guard self.historySize > 0 else { return }
        for record in records {
            state.history.append(record)
        }
        while state.history.count > self.historySize {
            state.history.removeFirst()
        }
    }

    static func writeFrame(_ payload: ByteBuffer, encoder: MessageEncoder, into out: inout ByteBuffer) {
        encoder.writePrefix(length: payload.readableBytes, into: &out)
        out.writeImmutableBuffer(payload)
        encoder.writeSuffix(into: &out)
    }

    // MARK: Waiting senders

    private func waitForTurn(_ id: MemberID) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let goNow = self.state.withLock { state -> Bool in
                    if state.cancelledWaiters.remove(id) != nil {
                        return true
                    }
                    // The turn may have come between the check and now.
                    guard state.machine.isWaiting(id) else { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if goNow {
                    continuation.resume()
                }
            }
        } onCancel: {
            let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.cancelledWaiters.insert(id)
                    return nil
                }
                return waiter
            }
            waiter?.resume()
        }
        self.state.withLock { _ = $0.cancelledWaiters.remove(id) }
    }

    // MARK: Writing

    /// What to do once the lock is released.
    private struct Work {
        var resumed: [CheckedContinuation<Void, Never>] = []
        var evictions: [ChatRoomState<Link>.Eviction] = []
    }

    /// Queues `bytes` for the recipients, on their event loops' outboxes, and collects the rest.
    private func apply(
        _ actions: ChatRoomState<Link>.Actions,
        bytes: ByteBuffer?,
        to state: inout State,
        work: inout Work
    ) {
        if let bytes {
            for (id, link) in actions.recipients {
                self.enqueue(bytes, for: id, link: link, in: &state)
            }
        }
        for id in actions.resumed {
            if let waiter = state.waiters.removeValue(forKey: id) {
                work.resumed.append(waiter)
            }
        }
        for eviction in actions.evictions {
            // Best effort: the notice goes after what is queued, and the connection closes soon after.
            let notice = self.notice("evicted: \(ChatError.evicted(username: eviction.name, reason: eviction.reason, stallTimeout: self.stallTimeout))")
            self.enqueue(notice, for: eviction.id, link: eviction.link, in: &state)
            // After the drain that writes the notice, give the notice a moment to leave, then close.
            Self.closeAfterWrites(eviction.link.connection, within: .seconds(1))
            if let waiter = state.waiters.removeValue(forKey: eviction.id) {
                work.resumed.append(waiter)
            }
            work.evictions.append(eviction)
        }
    }

    /// Queues `bytes` for one member. The loop's drain is submitted under the lock, so that the
    /// order of the loop's tasks is the order of the room's decisions.
    private func enqueue(_ bytes: ByteBuffer, for id: MemberID, link: Link, in state: inout State) {
        let loop = link.connection.eventLoop
        let key = ObjectIdentifier(loop)
        state.outboxes[key, default: Outbox()].queues[id, default: (link, [])].buffers.append(bytes)
        if !state.outboxes[key, default: Outbox()].scheduled {
            state.outboxes[key, default: Outbox()].scheduled = true
            loop.execute { self.drain(loop) }
        }
    }

    private func perform(_ work: Work) {
        for waiter in work.resumed {
            waiter.resume()
        }
        for eviction in work.evictions {
            eviction.link.onEvict(ChatError.evicted(username: eviction.name, reason: eviction.reason, stallTimeout: self.stallTimeout))
            if self.announcesMembership {
                self.broadcastNotice("\(eviction.name) left", except: nil)
            }
        }
    }

    /// Writes everything queued for the members of `loop`, and flushes each member once.
    private func drain(_ loop: any EventLoop) {
        let key = ObjectIdentifier(loop)
        let queues = self.state.withLock { state -> [MemberID: (link: Link, buffers: [ByteBuffer])] in
            guard var outbox = state.outboxes.removeValue(forKey: key) else { return [:] }
            defer { state.outboxes[key] = Outbox() }
            outbox.scheduled = false
            return outbox.queues
        }
        for (id, queue) in queues {
            let connection = queue.link.connection
            var unacknowledged = 0
            for (index, buffer) in queue.buffers.enumerated() {
                let isLast = index == queue.buffers.count - 1
                var rest = buffer
                while rest.readableBytes > 0 {
                    let length = min(rest.readableBytes, Self.progressChunk - unacknowledged)
                    // A slice shares the buffer's storage: nothing is copied.
                    guard let slice = rest.readSlice(length: length) else { break }
                    unacknowledged += length
                    if unacknowledged >= Self.progressChunk || (isLast && rest.readableBytes == 0) {
                        let promise = loop.makePromise(of: Void.self)
                        let bytes = unacknowledged
                        promise.futureResult.whenComplete { _ in self.written(id, bytes: bytes) }
                        connection.writeFramed(slice, promise: promise)
                        unacknowledged = 0
                    } else {
                        connection.writeFramed(slice, promise: nil)
                    }
                }
            }
            connection.flushFramed()
        }
    }

    /// A member's socket took `bytes` (or its connection failed, and they never will be).
    private func written(_ id: MemberID, bytes: Int) {
        let now = NIODeadline.now()
        let work = self.state.withLock { state -> Work in
            var work = Work()
            let actions = state.machine.written(id, bytes: bytes, now: now)
            self.apply(actions, bytes: nil, to: &state, work: &work)
            return work
        }
        self.perform(work)
    }

    // MARK: Stalls

    /// Checks for stalled members every so often on `loop`, until the task is cancelled.
    func watchForStalls(on loop: any EventLoop) -> RepeatedTask {
        let interval = TimeAmount.nanoseconds(max(10_000_000, min(500_000_000, self.stallTimeout.nanoseconds / 10)))
        return loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            self.tick()
        }
    }

    func tick(now: NIODeadline = .now()) {
        let work = self.state.withLock { state -> Work in
            var work = Work()
            let actions = state.machine.tick(now: now)
            self.apply(actions, bytes: nil, to: &state, work: &work)
            return work
        }
        self.perform(work)
    }

    /// Waits until everything queued for `connection` so far has been taken by its socket, or
    /// `timeout` has passed: the last records of a member that is leaving.
    func flush(_ connection: WireConnection, within timeout: TimeAmount) async {
        let written = self.state.withLock { _ in
            // Under the lock, so that this runs after every drain already submitted for the member.
            Self.afterWrites(connection, within: timeout, close: false)
        }
        _ = try? await written.get()
    }

    /// Closes `connection` once what is queued for it so far is written, or after `timeout`.
    private static func closeAfterWrites(_ connection: WireConnection, within timeout: TimeAmount) {
        _ = Self.afterWrites(connection, within: timeout, close: true)
    }

    private static func afterWrites(_ connection: WireConnection, within timeout: TimeAmount, close: Bool) -> EventLoopFuture<Void> {
        let loop = connection.eventLoop
        let written = loop.makePromise(of: Void.self)
        loop.execute {
            // An empty write completes once everything before it has reached the socket.
            connection.writeFramed(ByteBuffer(), promise: written)
            connection.flushFramed()
            // Closing fails the empty write, if it is still waiting, and so ends the wait.
            let deadline = loop.scheduleTask(in: timeout) { connection.close() }
            written.futureResult.whenComplete { _ in
                deadline.cancel()
                if close { connection.close() }
            }
        }
        return written.futureResult
    }
}
