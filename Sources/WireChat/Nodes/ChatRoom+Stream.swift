import NIOCore
import Synchronization
import WireFraming

/// A room kept in a JetStream stream: its members' texts go to the stream instead of straight to
/// the others, and come back, with everyone else's, in the stream's order (``ChatStreamLink``).
extension ChatRoom {
    /// From now on the members' texts are handed to the outlet only; what to deliver here, and
    /// when, comes back through ``deliverStreamed(_:)``.
    func streamTexts() {
        self.state.withLock { $0.streamsTexts = true }
    }

    /// Delivers records to the members here, each to everyone but its sender (when the sender is
    /// a member here), in order, and keeps them in the history.
    func deliverStreamed(_ delivery: ChatStreamNodeState.Delivery) {
        guard !delivery.records.isEmpty else { return }
        // Consecutive records with the same sender go out as one buffer to the same recipients.
        struct Group {
            var excluding: MemberID?
            var bytes = ByteBuffer()
            var ranges: [Range<Int>] = []
            var positions: [ChatPosition?] = []
        }
        var groups: [Group] = []
        var nameFrames: [String: ByteBuffer?] = [:]
        for record in delivery.records {
            let nameFrame: ByteBuffer?
            if let known = nameFrames[record.name] {
                nameFrame = known
            } else {
                // Another node's clients may use another framing; what this one cannot frame stays there.
                nameFrame = (try? self.encoder.validate(ByteBuffer(string: record.name))).map { self.nameFrame(record.name) }
                nameFrames[record.name] = nameFrame
            }
            guard let nameFrame, (try? self.encoder.validate(record.text)) != nil else { continue }
            if groups.isEmpty || groups[groups.count - 1].excluding != record.excluding {
                groups.append(Group(excluding: record.excluding))
            }
            groups[groups.count - 1].ranges.append(self.appendRecord(record.text, nameFrame: nameFrame, to: &groups[groups.count - 1].bytes))
            groups[groups.count - 1].positions.append(record.position)
        }
        guard !groups.isEmpty else { return }
        let now = NIODeadline.now()
        let work = self.state.withLock { state -> Work in
            var work = Work()
            for group in groups {
                self.remember(group.ranges, of: group.bytes, at: group.positions, in: &state)
                let payload = self.payload(group.bytes, records: group.ranges, positions: group.positions, in: state)
                let actions = state.machine.broadcast(bytes: group.bytes.readableBytes, from: group.excluding, now: now)
                self.apply(actions, payload: payload, to: &state, work: &work)
            }
            return work
        }
        self.perform(work)
    }

    /// Waits until no member here is behind: the link reads the stream at the pace of this node's
    /// members, and the stream holds the rest.
    func waitUntilMembersCatchUp() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let goNow = self.state.withLock { state -> Bool in
                    guard !state.machine.behind.isEmpty, !Task.isCancelled else { return true }
                    state.catchUpWaiter = continuation
                    return false
                }
                if goNow { continuation.resume() }
            }
        } onCancel: {
            self.state.withLock { state in
                defer { state.catchUpWaiter = nil }
                return state.catchUpWaiter
            }?.resume()
        }
    }

    /// The records of the history a restarted node takes from the stream, oldest first.
    func rememberStreamed(_ records: [(name: String, text: ByteBuffer, position: ChatPosition?)]) {
        var bytes = ByteBuffer()
        var ranges: [Range<Int>] = []
        var positions: [ChatPosition?] = []
        for record in records {
            guard (try? self.encoder.validate(record.text)) != nil, (try? self.encoder.validate(ByteBuffer(string: record.name))) != nil else { continue }
            ranges.append(self.appendRecord(record.text, nameFrame: self.nameFrame(record.name), to: &bytes))
            positions.append(record.position)
        }
        self.state.withLock { self.remember(ranges, of: bytes, at: positions, in: &$0) }
    }

    /// Holds every sender here while too much waits to be published (or lets them go).
    func setStreamBacklogHold(_ isHeld: Bool) {
        self.setOutboundHold(isHeld)
    }
}
