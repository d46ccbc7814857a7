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

    /// What to do once the lock is released.
    struct Work {
        var resumed: [Waiters<MemberID, Void>.Resumption] = []
        var evictions: [ChatRoomState<Link>.Eviction] = []
        /// Tell the other nodes about the evictions, and that whether someone here is behind changed.
        var outlet: (@Sendable (ChatRoomOutput) -> EventLoopFuture<Void>?)?
        var behindChanged = false
        var caughtUp: (@Sendable () -> Void)?
    }

    /// Runs `body` under the room's lock with a fresh ``Work``, then does that work once the lock
    /// is released (writes scheduled, senders resumed, evictions told); returns what `body` did.
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

    /// Takes the machine's decision on an event and carries it out: `payload` to its recipients,
    /// and the rest of its actions.
    func act(
        payload: Payload? = nil,
        _ decide: @Sendable (inout ChatRoomState<Link>) -> ChatRoomState<Link>.Actions
    ) {
        self.withWork { state, work in
            self.apply(decide(&state.machine), payload: payload, to: &state, work: &work)
        }
    }

    /// Delivers the records framed in `bytes` (at `ranges`, from its reader index) to every member
    /// here but `excluding`, and keeps them in the log at `positions`; without positions they are
    /// numbered here, in the order the room delivers them (a room on one node, or over core NATS).
    /// `sources` gives who said each and what, for members that take records (called only while
    /// one is here).
    func deliver(
        _ bytes: ByteBuffer,
        records ranges: [Range<Int>],
        at positions: [ChatPosition?]? = nil,
        sources: () -> [(user: String, text: ByteBuffer)],
        excluding: MemberID?,
        in state: inout State,
        work: inout Work
    ) {
        let positions =
            positions
            ?? {
                let first = state.nextPosition
                state.nextPosition += UInt64(ranges.count)
                return (0..<ranges.count).map { ChatPosition(major: first + UInt64($0)) }
            }()
        self.remember(ranges, of: bytes, at: positions, in: &state)
        let payload = self.payload(bytes, records: ranges, positions: positions, sources: sources, in: state)
        let actions = state.machine.broadcast(bytes: bytes.readableBytes, from: excluding, now: .now())
        if !actions.recipients.isEmpty {
            self.metrics.recordsDelivered.increment(by: actions.recipients.count * ranges.count)
        }
        self.apply(actions, payload: payload, to: &state, work: &work)
    }

    /// Queues `bytes` for the recipients, on their event loops' outboxes, and collects the rest.
    func apply(
        _ actions: ChatRoomState<Link>.Actions,
        payload: Payload?,
        to state: inout State,
        work: inout Work
    ) {
        if let payload {
            for (id, link) in actions.recipients {
                // A member of the tutorial's protocol gets no heartbeat (it has no plain form).
                guard let outgoing = payload.outgoing(for: link) else { continue }
                self.enqueue(outgoing, for: id, link: link, in: &state)
            }
        }
        if !state.turns.isEmpty && !(actions.resumed.isEmpty && actions.evictions.isEmpty) {
            // Senders whose turn came, and evicted ones, which wait no more.
            let (resumed, evictions) = (actions.resumed, actions.evictions)
            work.resumed += state.turns.take { id in
                resumed.contains(id) || evictions.contains { $0.id == id } ? .success(()) : nil
            }
        }
        for eviction in actions.evictions {
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
            work.evictions.append(eviction)
        }
        if let onCaughtUp = state.onCaughtUp, state.machine.behind.isEmpty {
            state.onCaughtUp = nil
            work.caughtUp = onCaughtUp
        }
        if let outlet = state.outlet {
            work.outlet = outlet
            let isBehind = !state.machine.behind.isEmpty
            if isBehind != state.wasBehind {
                state.wasBehind = isBehind
                work.behindChanged = true
            }
        }
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
        work.caughtUp?()
        if work.behindChanged {
            _ = work.outlet?(.behindChanged)
        }
        for eviction in work.evictions {
            _ = work.outlet?(.left(eviction.name))
            eviction.link.onEvict(
                ChatError.evicted(username: eviction.name, reason: eviction.reason, stallTimeout: self.stallTimeout)
            )
            if self.announcesMembership {
                self.broadcastNotice("\(eviction.name) left", except: nil)
            }
        }
    }

    /// Writes everything queued for the members of `loop`, and flushes each member once.
    func drain(_ loop: any EventLoop) {
        let key = ObjectIdentifier(loop)
        let queues = self.state.withLock { state -> [MemberID: (link: Link, buffers: [Outgoing])] in
            guard var outbox = state.outboxes.removeValue(forKey: key) else { return [:] }
            defer { state.outboxes[key] = Outbox() }
            outbox.scheduled = false
            return outbox.queues
        }
        for (id, queue) in queues {
            let connection = queue.link.connection
            var unacknowledged = 0
            for (index, outgoing) in queue.buffers.enumerated() {
                switch outgoing {
                case .framed(let buffer):
                    // The last of a run of framed bytes is acknowledged, whatever its size.
                    let endsRun: Bool
                    if index == queue.buffers.count - 1 {
                        endsRun = true
                    } else if case .framed = queue.buffers[index + 1] {
                        endsRun = false
                    } else {
                        endsRun = true
                    }
                    var rest = buffer
                    while rest.readableBytes > 0 {
                        let length = min(rest.readableBytes, Self.progressChunk - unacknowledged)
                        // A slice shares the buffer's storage: nothing is copied.
                        guard let slice = rest.readSlice(length: length) else { break }
                        unacknowledged += length
                        if unacknowledged >= Self.progressChunk || (endsRun && rest.readableBytes == 0) {
                            connection.writeFramed(
                                slice,
                                promise: self.acknowledgement(id, bytes: unacknowledged, on: loop)
                            )
                            unacknowledged = 0
                        } else {
                            connection.writeFramed(slice, promise: nil)
                        }
                    }
                case .records(let records):
                    guard let sink = queue.link.recordSink else { continue }
                    // In slices of about progressChunk (counted as the room counts them), each
                    // acknowledged on its own.
                    var start = records.startIndex
                    var accounted = 0
                    for index in records.indices {
                        accounted += records[index].accounted
                        if accounted >= Self.progressChunk || index == records.count - 1 {
                            let promise = accounted > 0 ? self.acknowledgement(id, bytes: accounted, on: loop) : nil
                            sink.writeRecords(records[start...index], promise: promise)
                            start = index + 1
                            accounted = 0
                        }
                    }
                }
            }
            connection.flushFramed()
        }
    }

    /// A promise that tells the room, once it completes, that the member's socket took `bytes`.
    private func acknowledgement(_ id: MemberID, bytes: Int, on loop: any EventLoop) -> EventLoopPromise<Void> {
        let promise = loop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in self.written(id, bytes: bytes) }
        return promise
    }

    /// A member's socket took `bytes` (or its connection failed, and they never will be).
    func written(_ id: MemberID, bytes: Int) {
        let now = NIODeadline.now()
        self.act { $0.written(id, bytes: bytes, now: now) }
    }
}
