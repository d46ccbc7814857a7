import NIOCore
import Synchronization
@_spi(Broadcast) import Wire

/// Who is in the room: joining (with the history, or what a member coming back missed), leaving,
/// and the shutdown notice.
extension ChatRoom {
    // MARK: Membership

    /// Adds a member; the history (or, for a member that comes back, what it missed) is queued
    /// for it before anything else can be. A member whose hello names the session of a member
    /// still here replaces it (its old connection went silent).
    func join(
        name: String,
        connection: any ChatMemberSink,
        hello: ChatHello? = nil,
        older: ChatLog.Older? = nil,
        onEvict: @escaping @Sendable (ChatError) -> Void
    ) throws(ChatError) -> MemberID {
        let link = Link(
            connection: connection,
            onEvict: onEvict,
            nameFrame: self.nameFrame(name),
            wantsPositions: hello != nil,
            session: hello?.session
        )
        let now = NIODeadline.now()
        let replaced = self.replaceSilentMember(named: name, session: hello?.session)
        return try self.withWork { [link] state, work throws(ChatError) -> MemberID in
            let (id, told) = try state.machine.join(name: name, link: link, quietly: replaced, now: now)
            var records: [Payload]
            if let resume = hello?.resume {
                records = self.missed(
                    by: name,
                    since: resume,
                    in: state.machine,
                    older: older,
                    asRecords: link.recordSink != nil
                )
            } else {
                var history = state.machine.log.last(self.historySize).map {
                    Payload(entry: $0, room: self, asRecord: link.recordSink != nil)
                }
                if self.announcesMembership && !history.isEmpty {
                    // Marked, so that nobody takes an old text for a new one.
                    history.insert(
                        self.noticePayload("history: the last \(history.count) text\(history.count == 1 ? "" : "s")"),
                        at: 0
                    )
                    history.append(self.noticePayload("end of history"))
                }
                records = history
            }
            if link.wantsPositions, let mark = state.machine.lastPosition {
                // Where it stands, so that it can resume from here though no text comes to it
                // before it loses its connection.
                records.append(self.markPayload(mark))
            }
            // Its records are queued before anything else can be; the others hear of it after.
            for record in records {
                let actions = state.machine.send(bytes: record.plain.readableBytes, to: id, now: now)
                self.apply(actions, payload: record, to: &state, work: &work)
            }
            self.apply(told, payload: nil, to: &state, work: &work)
            return id
        }
    }

    /// Closes the member named `name` if its hello named `session` too: the same client, back on
    /// a new connection while the old one went silent. Returns whether it did.
    private func replaceSilentMember(named name: String, session: String?) -> Bool {
        guard let session, !session.isEmpty else { return false }
        let old = self.state.withLock { state -> (ChatRoomState<Link>.Member, MemberID)? in
            guard let (id, member) = state.machine.members.member(named: name), member.link.session == session else {
                return nil
            }
            return (member, id)
        }
        guard let (member, id) = old else { return false }
        self.leave(id, quietly: true)
        member.link.connection.close()
        return true
    }

    /// What `name`, coming back after `position`, missed, as the log still has it, after a notice
    /// that says how much (and how much the log no longer has). `older`: what came before the
    /// log's first entry, read from the stream (``older(since:)``). Its own texts are not sent
    /// back: the room never sends a member its own text, and it saw them when it said them.
    func missed(
        by name: String,
        since position: ChatPosition,
        in machine: ChatRoomMachine<Link>,
        older: ChatLog.Older?,
        asRecords: Bool = false
    ) -> [Payload] {
        let streamed = machine.streamsTexts
        var (all, lost) = machine.log.after(
            position,
            streamed: streamed,
            base: self.positionBase,
            next: machine.nextPosition
        )
        if let older, streamed {
            let head = all.first?.position
            let filling = older.entries.filter { entry in
                guard let at = entry.position, at > position else { return false }
                return head.map { at < $0 } ?? true
            }
            all = filling + all
            // The log dropped more while the stream was read: what it dropped is not known here.
            if let head, head > older.before {
                lost = .unknown
            } else {
                lost = older.lost
            }
        }
        let entries = all.filter { $0.name != name }
        var text = "missed while away: \(entries.count) text\(entries.count == 1 ? "" : "s")"
        switch lost {
        case .none: break
        case .some(.count(let count)): text += ", and \(count) older one\(count == 1 ? " is" : "s are") no longer kept"
        case .some(.unknown): text += ", and older ones are no longer kept"
        case .some(.tooMany): text += ", and older ones are too many to replay"
        }
        return [self.noticePayload(text)]
            + entries.map { Payload(entry: $0, room: self, asRecord: asRecords) }
    }

    /// Removes a member, if it is still in the room; what was queued for it is still written.
    /// `quietly`: nobody is told (the same member is coming back on a new connection).
    func leave(_ id: MemberID, quietly: Bool = false) {
        self.act { $0.leave(id, quietly: quietly).actions }
    }

    /// Tells every member that the server is shutting down, and closes each one once what was
    /// queued for it is written (or after a second for one that does not read).
    func shutDown() {
        let notice = self.noticePayload("the server is shutting down")
        self.withWork { state, work in
            let actions = state.machine.broadcast(bytes: notice.plain.readableBytes, except: nil, now: .now())
            self.apply(actions, payload: notice, to: &state, work: &work)
            for (_, member) in state.machine.members.members {
                Self.closeAfterWrites(member.link.connection, within: .seconds(1))
            }
        }
    }
}
