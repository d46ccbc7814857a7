import CoreMetrics
import NIOCore
import Synchronization
@_spi(Broadcast) import Wire

/// How the room's decisions reach the members: waiting senders, the per-loop outboxes that write
/// a burst to every member with one flush each, acknowledgements of what the sockets took, and
/// the stall watch.
extension ChatRoom {
    // MARK: Waiting senders

    /// Waits until the member may send again (or has left, or its task is cancelled).
    func waitForTurn(_ id: MemberID) async {
        _ = try? await self.state.wait(in: \.turns, for: id) { state in
            // The turn may have come between the send that held it and now.
            state.machine.isWaiting(id) ? nil : .success(())
        }
    }

    // MARK: Writing

    /// What the machine decided that waits for the lock to be released.
    struct Work {
        var resumed: [Waiters<MemberID, Void>.Resumption] = []
        var turnCallbacks: [@Sendable () -> Void] = []
        /// Evictions to tell, the other nodes to tell, notices to broadcast: in the machine's order.
        var later: [ChatRoomMachine<Link>.Action] = []
        var outlet: (@Sendable (ChatRoomOutput) -> EventLoopFuture<Void>?)?
        var caughtUp: (@Sendable () -> Void)?
    }

    /// Runs `body` under the room's lock with a fresh ``Work``, then does that work once the lock
    /// is released (senders resumed, evictions told, the other nodes told); returns what `body` did.
    func withWork<Result: Sendable, Failure: Error>(
        _ body: @Sendable (inout State, inout Work) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let (result, work) = try self.state.withLock { state throws(Failure) -> (Result, Work) in
            var work = Work()
            let result = try body(&state, &work)
            return (result, work)
        }
        self.perform(work)
        return result
    }

    /// Takes the machine's decision on an event and carries it out, with `payload` for its writes.
    func act(
        payload: Payload? = nil,
        _ decide: @Sendable (inout ChatRoomMachine<Link>) -> [ChatRoomMachine<Link>.Action]
    ) {
        self.withWork { state, work in
            self.apply(decide(&state.machine), payload: payload, to: &state, work: &work)
        }
    }

    /// Delivers the records framed in `bytes` (at `ranges`, from its reader index) to every member
    /// here but `excluding`, and keeps them in the log at `positions` (numbered by the machine
    /// when `nil`). `sources` gives who said each and what, for members that take records
    /// (called only while one is here).
    func deliver(
        _ bytes: ByteBuffer,
        records ranges: [Range<Int>],
        at positions: [ChatPosition?]? = nil,
        sources: () -> [(user: String, text: ByteBuffer)],
        excluding: MemberID?,
        in state: inout State,
        work: inout Work
    ) {
        // Who said each and what: for the log, and for members that take records.
        let said = self.logSize > 0 || state.machine.recordMembers > 0 ? sources() : []
        let (positions, actions) = state.machine.deliver(
            count: ranges.count,
            bytes: bytes.readableBytes,
            at: positions,
            excluding: excluding,
            now: .now(),
            record: { (said[$0].user, said[$0].text) }
        )
        let payload = self.payload(bytes, records: ranges, positions: positions, sources: said, in: state)
        for case .write(let recipients) in actions {
            self.metrics.recordsDelivered.increment(by: recipients.count * ranges.count)
        }
        self.apply(actions, payload: payload, to: &state, work: &work)
    }

    /// Carries out the machine's actions: under the lock, what keeps the room's order (writes
    /// queued on their event loops' outboxes, waiting senders taken, eviction notices queued);
    /// the rest is left in `work` for after it.
    func apply(
        _ actions: [ChatRoomMachine<Link>.Action],
        payload: Payload?,
        to state: inout State,
        work: inout Work
    ) {
        var resumed: [MemberID] = []
        for action in actions {
            switch action {
            case .write(let recipients):
                guard let payload else { continue }
                for (id, link) in recipients {
                    // A member of the tutorial's protocol gets no heartbeat (it has no plain form).
                    guard let outgoing = payload.outgoing(for: link) else { continue }
                    self.enqueue(outgoing, for: id, link: link, in: &state)
                }
            case .resume(let id):
                resumed.append(id)
            case .evict(let eviction):
                // Best effort: the notice goes after what is queued, and the connection closes soon after.
                let notice = self.noticePayload(
                    "evicted: \(ChatError.evicted(username: eviction.name, reason: eviction.reason, stallTimeout: self.stallTimeout))"
                )
                if let outgoing = notice.outgoing(for: eviction.link) {
                    self.enqueue(outgoing, for: eviction.id, link: eviction.link, in: &state)
                }
                // After the drain that writes the notice, close once it has left; a member that wakes
                // up gets what waited for it and the notice, as long as it keeps taking bytes.
                Self.closeAfterWrites(eviction.link.connection, within: self.stallTimeout)
                // Its sender, if it waits, waits no more.
                resumed.append(eviction.id)
                work.later.append(action)
            case .readOn:
                if let onCaughtUp = state.onCaughtUp {
                    state.onCaughtUp = nil
                    work.caughtUp = onCaughtUp
                }
            case .tellNodes, .announce:
                work.later.append(action)
            }
        }
        if !resumed.isEmpty && !state.turns.isEmpty {
            work.resumed += state.turns.take { resumed.contains($0) ? .success(()) : nil }
        }
        if !resumed.isEmpty && !state.turnCallbacks.isEmpty {
            for id in resumed {
                if let callback = state.turnCallbacks.removeValue(forKey: id) { work.turnCallbacks.append(callback) }
            }
        }
        if !work.later.isEmpty { work.outlet = state.outlet }
    }

    /// Queues `bytes` for one member. The loop's drain is submitted under the lock, so that the
    /// order of the loop's tasks is the order of the room's decisions.
    func enqueue(_ outgoing: Outgoing, for id: MemberID, link: Link, in state: inout State) {
        let loop = link.connection.eventLoop
        let key = ObjectIdentifier(loop)
        state.outboxes[key, default: Outbox()].queues[id, default: (link, [])].buffers.append(outgoing)
        if !state.outboxes[key, default: Outbox()].scheduled {
            state.outboxes[key, default: Outbox()].scheduled = true
            loop.execute { self.drain(loop) }
        }
    }

    func perform(_ work: Work) {
        for waiter in work.resumed {
            waiter.resume()
        }
        for callback in work.turnCallbacks {
            callback()
        }
        work.caughtUp?()
        for action in work.later {
            switch action {
            case .evict(let eviction):
                eviction.link.onEvict(
                    ChatError.evicted(username: eviction.name, reason: eviction.reason, stallTimeout: self.stallTimeout)
                )
            case .tellNodes(let output):
                _ = work.outlet?(output)
            case .announce(let text, let except):
                self.broadcastNotice(text, except: except)
            case .write, .resume, .readOn:
                break
            }
        }
    }
}
