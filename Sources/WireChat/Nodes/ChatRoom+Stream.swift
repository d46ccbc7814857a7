import NIOCore
import Synchronization
import WireFraming

/// A room kept in a JetStream stream: its members' texts go to the stream instead of straight to
/// the others, and come back, with everyone else's, in the stream's order (``ChatStreamLink``).
extension ChatRoom {
    /// From now on the members' texts are handed to the outlet only; what to deliver here, and
    /// when, comes back through ``deliverStreamed(_:)``.
    func streamTexts() {
        self.state.withLock { $0.machine.streamTexts() }
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
            var sources: [(user: String, text: ByteBuffer)] = []
        }
        var groups: [Group] = []
        var nameFrames: [String: ByteBuffer?] = [:]
        for record in delivery.records {
            let nameFrame: ByteBuffer?
            if let known = nameFrames[record.name] {
                nameFrame = known
            } else {
                // Another node's clients may use another framing; what this one cannot frame stays there.
                nameFrame = (try? self.encoder.validate(ByteBuffer(string: record.name))).map {
                    self.nameFrame(record.name)
                }
                nameFrames[record.name] = nameFrame
            }
            guard let nameFrame, (try? self.encoder.validate(record.text)) != nil else { continue }
            if groups.isEmpty || groups[groups.count - 1].excluding != record.excluding {
                groups.append(Group(excluding: record.excluding))
            }
            groups[groups.count - 1].ranges.append(
                self.appendRecord(record.text, nameFrame: nameFrame, to: &groups[groups.count - 1].bytes)
            )
            groups[groups.count - 1].positions.append(record.position)
            groups[groups.count - 1].sources.append((record.name, record.text))
        }
        guard !groups.isEmpty else { return }
        self.withWork { [groups] state, work in
            for group in groups {
                self.deliver(
                    group.bytes,
                    records: group.ranges,
                    at: group.positions,
                    sources: { group.sources },
                    excluding: group.excluding,
                    in: &state,
                    work: &work
                )
            }
        }
    }

    /// Whether the link may read on now: `true` when no member here is behind; otherwise `false`,
    /// and `onCaughtUp` is called once none is (the link reads the stream at the pace of this
    /// node's members, and the stream holds the rest).
    func readsOn(orWhenCaughtUp onCaughtUp: @escaping @Sendable () -> Void) -> Bool {
        self.state.withLock { state in
            guard !state.machine.readsOn() else { return true }
            state.onCaughtUp = onCaughtUp
            return false
        }
    }

    /// Reads the records after one position and before another from the room's stream, in
    /// order; `lost` says what it could not give (nothing, when `nil`).
    typealias OlderReader =
        @Sendable (_ after: ChatPosition, _ before: ChatPosition) async -> (
            records: [(name: String, text: ByteBuffer, position: ChatPosition)], lost: ChatLog.Lost?
        )

    /// Members that come back after a position the log no longer has get what they missed from
    /// the stream, through `reader`.
    func readOlder(with reader: @escaping OlderReader) {
        self.state.withLock { $0.olderReader = reader }
    }

    /// What a member coming back after `position` missed that the log no longer has, from the
    /// stream; `nil` when the log has it all (or the room is not kept in a stream). Called before
    /// ``join(name:connection:hello:older:onEvict:)``, which puts it before the log's entries.
    func older(since position: ChatPosition?) async -> ChatLog.Older? {
        guard let position else { return nil }
        let found = self.state.withLock { state -> (OlderReader, ChatPosition)? in
            guard state.machine.streamsTexts, let reader = state.olderReader,
                let first = state.machine.log.startsAfter(position)
            else {
                return nil
            }
            return (reader, first)
        }
        guard let (reader, before) = found else { return nil }
        let (records, lost) = await reader(position, before)
        var entries: [ChatLog.Entry] = []
        entries.reserveCapacity(records.count)
        for record in records {
            // Another node's clients may use another framing; what this one cannot frame stays there.
            guard (try? self.encoder.validate(record.text)) != nil,
                (try? self.encoder.validate(ByteBuffer(string: record.name))) != nil
            else { continue }
            entries.append(ChatLog.Entry(position: record.position, name: record.name, text: record.text))
        }
        return ChatLog.Older(entries: entries, before: before, lost: lost)
    }

    /// The records of the history a restarted node takes from the stream, oldest first.
    func rememberStreamed(_ records: [(name: String, text: ByteBuffer, position: ChatPosition?)]) {
        let kept = records.filter { record in
            (try? self.encoder.validate(record.text)) != nil
                && (try? self.encoder.validate(ByteBuffer(string: record.name))) != nil
        }
        self.state.withLock { state in
            state.machine.remember(count: kept.count, at: kept.map(\.position)) { (kept[$0].name, kept[$0].text) }
        }
    }

    /// Holds every sender here while too much waits to be published (or lets them go).
    func setStreamBacklogHold(_ isHeld: Bool) {
        self.setOutboundHold(isHeld)
    }
}
