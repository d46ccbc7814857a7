import NIOCore
import WireFraming

/// The room's own words: notices to one member or to all, heartbeats, and the marks that tell a
/// member which position it has everything up to.
extension ChatRoom {
    /// Sends a notice from the room to one member only.
    func notify(_ id: MemberID, _ text: String) {
        self.send(self.noticePayload(text), to: id)
    }

    /// Sends a heartbeat to a member whose hello asked for them: a record of three empty frames.
    func heartbeat(_ id: MemberID) {
        self.send(self.heartbeatPayload, to: id)
    }

    /// A heartbeat that carries a position: the member has everything up to it (for positioned
    /// members only; the tutorial's never see it).
    func markPayload(_ position: ChatPosition) -> Payload {
        var mark = Payload(records: [ChatOutgoingRecord(user: "", text: ByteBuffer(), position: position, accounted: 0)]
        )
        var positioned = self.emptyFrame
        positioned.writeImmutableBuffer(self.emptyFrame)
        Self.writeFrame(ByteBuffer(string: position.description), encoder: self.encoder, into: &positioned)
        mark.positioned = positioned
        return mark
    }

    func send(_ payload: Payload, to id: MemberID) {
        self.act(payload: payload) { $0.send(bytes: payload.plain.readableBytes, to: id, now: .now()) }
    }

    /// Sends a notice from the room to every member but `except`.
    func broadcastNotice(_ text: String, except: MemberID?) {
        let notice = self.noticePayload(text)
        self.act(payload: notice) { $0.broadcast(bytes: notice.plain.readableBytes, except: except, now: .now()) }
    }

    /// A notice in the tutorial's two frames.
    func notice(_ text: String) -> ByteBuffer {
        var bytes = self.serverNameFrame
        Self.writeFrame(ByteBuffer(string: text), encoder: self.encoder, into: &bytes)
        return bytes
    }

    /// A notice in both forms: a notice has no position (its third frame is empty).
    func noticePayload(_ text: String) -> Payload {
        let plain = self.notice(text)
        var positioned = plain
        positioned.writeImmutableBuffer(self.emptyFrame)
        let record = ChatOutgoingRecord(
            user: Self.serverName,
            text: ByteBuffer(string: text),
            position: nil,
            accounted: plain.readableBytes
        )
        return Payload(plain: plain, positioned: positioned, records: [record])
    }
}
