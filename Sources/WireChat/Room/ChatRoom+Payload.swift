import NIOCore
import WireFraming

extension ChatRoom {
    /// What the room sends in one go, in the forms members read: the tutorial's records of two
    /// frames; for members whose hello asked for them, records of three frames (username, text,
    /// position); and for members that take records (browsers), the records themselves. The
    /// second and third are made only while such a member is in the room.
    struct Payload {
        var plain = ByteBuffer()
        /// `nil`: nobody here wants positions (or this is for the tutorial's members only).
        var positioned: ByteBuffer?
        /// `nil`: nobody here takes records.
        var records: [ChatOutgoingRecord]?

        /// One logged text, for one member: framed in two frames, with its position as a third,
        /// or, for a member that takes records (`asRecord`), as the record itself.
        init(entry: ChatLog.Entry, room: ChatRoom, asRecord: Bool) {
            room.appendRecord(entry.text, nameFrame: room.nameFrame(entry.name), to: &self.plain)
            var positioned = self.plain
            room.appendPosition(entry.position, to: &positioned)
            self.positioned = positioned
            if asRecord {
                let record = ChatOutgoingRecord(
                    user: entry.name,
                    text: entry.text,
                    position: entry.position,
                    accounted: self.plain.readableBytes
                )
                self.records = [record]
            }
        }

        init(plain: ByteBuffer = ByteBuffer(), positioned: ByteBuffer? = nil, records: [ChatOutgoingRecord]? = nil) {
            self.plain = plain
            self.positioned = positioned
            self.records = records
        }

        /// What a member gets of it, in its form; `nil` for nothing (a heartbeat or mark, to a
        /// member that wants no positions).
        func outgoing(for link: Link) -> Outgoing? {
            if link.takesRecords {
                guard let records, link.wantsPositions || self.plain.readableBytes > 0 else { return nil }
                return .records(records)
            }
            if link.wantsPositions {
                return self.positioned.map { .framed($0) }
            }
            return self.plain.readableBytes > 0 ? .framed(self.plain) : nil
        }
    }

    /// What waits for one member in an outbox.
    enum Outgoing {
        case framed(ByteBuffer)
        case records([ChatOutgoingRecord])
    }

    /// `position` as a frame (empty when there is none).
    func appendPosition(_ position: ChatPosition?, to bytes: inout ByteBuffer) {
        guard let position else {
            bytes.writeImmutableBuffer(self.emptyFrame)
            return
        }
        Self.writeFrame(ByteBuffer(string: position.description), encoder: self.encoder, into: &bytes)
    }

    /// Records framed in `bytes` (at `ranges`, from its reader index), in every form members
    /// here read: with each record's position only while a member here wants it, as records
    /// (from `sources`: who said each, and what) only while a member here takes them.
    func payload(
        _ bytes: ByteBuffer,
        records ranges: [Range<Int>],
        positions: [ChatPosition?],
        sources: [(user: String, text: ByteBuffer)],
        in state: State
    ) -> Payload {
        var payload = Payload(plain: bytes)
        if state.machine.positionedMembers > 0 {
            var positioned = ByteBuffer()
            positioned.reserveCapacity(bytes.readableBytes + ranges.count * 24)
            for (range, position) in zip(ranges, positions) {
                positioned.writeBytes(
                    bytes.readableBytesView[bytes.readerIndex + range.lowerBound..<bytes.readerIndex + range.upperBound]
                )
                self.appendPosition(position, to: &positioned)
            }
            payload.positioned = positioned
        }
        if state.machine.recordMembers > 0 {
            // Made together: their frames lie in one buffer, and a browser writes a run as a slice.
            payload.records = ChatOutgoingRecord.made(
                zip(sources, zip(ranges, positions)).map { source, record in
                    (source.user, source.text, record.1, record.0.count)
                }
            )
        }
        return payload
    }
}
