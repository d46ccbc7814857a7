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
    @inline(never)  // called from a member's task: its temporaries stay on the thread's stack, not in the task's slabs
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
            let greeting = state.machine.greeting(
                for: name,
                wantsPositions: link.wantsPositions,
                resume: hello?.resume,
                older: older
            )
            let records = greeting.map { piece -> Payload in
                switch piece {
                case .notice(let text): self.noticePayload(text)
                case .text(let entry): Payload(entry: entry, room: self, asRecord: link.takesRecords)
                case .mark(let position): self.markPayload(position)
                }
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
