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
        let (id, outlet) = try self.withWork {
            [link] state, work throws(ChatError) -> (MemberID, (@Sendable (ChatRoomOutput) -> EventLoopFuture<Void>?)?)
            in
            // Best effort across nodes: two nodes may let the same name in at the same moment.
            if state.remote.hasMember(named: name) {
                throw ChatError.usernameTaken(name)
            }
            let id = try state.machine.join(name: name, link: link, now: now)
            if link.wantsPositions { state.positionedMembers += 1 }
            if link.recordSink != nil { state.recordMembers += 1 }
            var records: [Payload]
            if let resume = hello?.resume {
                records = self.missed(
                    by: name,
                    since: resume,
                    log: state.log,
                    older: older,
                    next: state.nextPosition,
                    streamed: state.streamsTexts,
                    asRecords: link.recordSink != nil
                )
            } else {
                var history = state.log.last(self.historySize).map {
                    Payload(record: $0.record, position: $0.position, room: self, asRecord: link.recordSink != nil)
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
            if link.wantsPositions, let mark = state.lastPosition {
                // Where it stands, so that it can resume from here though no text comes to it
                // before it loses its connection.
                records.append(self.markPayload(mark))
            }
            for record in records {
                let actions = state.machine.send(bytes: record.plain.readableBytes, to: id, now: now)
                self.apply(actions, payload: record, to: &state, work: &work)
            }
            return (id, state.outlet)
        }
        if !replaced {
            _ = outlet?(.joined(name))
            if self.announcesMembership {
                self.broadcastNotice("\(name) joined", except: id)
            }
        }
        return id
    }

    /// Closes the member named `name` if its hello named `session` too: the same client, back on
    /// a new connection while the old one went silent. Returns whether it did.
    private func replaceSilentMember(named name: String, session: String?) -> Bool {
        guard let session, !session.isEmpty else { return false }
        let old = self.state.withLock { state -> (ChatRoomState<Link>.Member, MemberID)? in
            guard let (id, member) = state.machine.member(named: name), member.link.session == session else {
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
        log: ChatLog,
        older: ChatLog.Older?,
        next: UInt64,
        streamed: Bool,
        asRecords: Bool = false
    ) -> [Payload] {
        var (all, lost) = log.after(position, streamed: streamed, base: self.positionBase, next: next)
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
        let own = self.nameFrame(name).readableBytesView
        let entries = all.filter { !$0.record.readableBytesView.starts(with: own) }
        var text = "missed while away: \(entries.count) text\(entries.count == 1 ? "" : "s")"
        switch lost {
        case .none: break
        case .some(.count(let count)): text += ", and \(count) older one\(count == 1 ? " is" : "s are") no longer kept"
        case .some(.unknown): text += ", and older ones are no longer kept"
        case .some(.tooMany): text += ", and older ones are too many to replay"
        }
        return [self.noticePayload(text)]
            + entries.map { Payload(record: $0.record, position: $0.position, room: self, asRecord: asRecords) }
    }

    /// Removes a member, if it is still in the room; what was queued for it is still written.
    /// `quietly`: nobody is told (the same member is coming back on a new connection).
    func leave(_ id: MemberID, quietly: Bool = false) {
        let (name, outlet) = self.withWork {
            state,
            work -> (String?, (@Sendable (ChatRoomOutput) -> EventLoopFuture<Void>?)?) in
            let (member, actions) = state.machine.leave(id)
            if member?.link.wantsPositions == true { state.positionedMembers -= 1 }
            if member?.link.recordSink != nil { state.recordMembers -= 1 }
            self.apply(actions, payload: nil, to: &state, work: &work)
            return (member?.name, state.outlet)
        }
        guard !quietly, let name else { return }
        _ = outlet?(.left(name))
        if self.announcesMembership {
            self.broadcastNotice("\(name) left", except: nil)
        }
    }

    /// Tells every member that the server is shutting down, and closes each one once what was
    /// queued for it is written (or after a second for one that does not read).
    func shutDown() {
        let notice = self.noticePayload("the server is shutting down")
        self.withWork { state, work in
            let actions = state.machine.broadcast(bytes: notice.plain.readableBytes, from: nil, now: .now())
            self.apply(actions, payload: notice, to: &state, work: &work)
            for (_, member) in state.machine.members {
                Self.closeAfterWrites(member.link.connection, within: .seconds(1))
            }
        }
    }
}
