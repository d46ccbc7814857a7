import NIOCore

extension ChatRoom {
    /// What the room sends in one go, in the two forms members read: the tutorial's records of two
    /// frames, and, for members whose hello asked for them, records of three frames (username,
    /// text, position). The second is made only while such a member is in the room.
    struct Payload {
        var plain = ByteBuffer()
        /// `nil`: nobody here wants positions (or this is for the tutorial's members only).
        var positioned: ByteBuffer?

        /// One logged record: its two frames, and its position as a third.
        init(record: ByteBuffer, position: ChatPosition?, room: ChatRoom) {
            self.plain = record
            var positioned = record
            room.appendPosition(position, to: &positioned)
            self.positioned = positioned
        }

        init(plain: ByteBuffer = ByteBuffer(), positioned: ByteBuffer? = nil) {
            self.plain = plain
            self.positioned = positioned
        }

        /// The bytes for a member.
        func bytes(for link: Link) -> ByteBuffer? {
            if link.wantsPositions {
                return self.positioned
            }
            return self.plain.readableBytes > 0 ? self.plain : nil
        }
    }

    /// `position` as a frame (empty when there is none).
    func appendPosition(_ position: ChatPosition?, to bytes: inout ByteBuffer) {
        guard let position else {
            bytes.writeImmutableBuffer(self.emptyFrame)
            return
        }
        Self.writeFrame(ByteBuffer(string: position.description), encoder: self.encoder, into: &bytes)
    }

    /// Records framed in `bytes` (at `ranges`, from its reader index), in both forms: the second
    /// with each record's position, made only while a member here wants it.
    func payload(
        _ bytes: ByteBuffer,
        records ranges: [Range<Int>],
        positions: [ChatPosition?],
        in state: State
    ) -> Payload {
        guard state.positionedMembers > 0 else { return Payload(plain: bytes) }
        var positioned = ByteBuffer()
        positioned.reserveCapacity(bytes.readableBytes + ranges.count * 24)
        for (range, position) in zip(ranges, positions) {
            positioned.writeBytes(
                bytes.readableBytesView[bytes.readerIndex + range.lowerBound..<bytes.readerIndex + range.upperBound]
            )
            self.appendPosition(position, to: &positioned)
        }
        return Payload(plain: bytes, positioned: positioned)
    }
}
