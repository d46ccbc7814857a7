import NIOCore

/// What a member gets first, before anything else can reach it: the history a newcomer is
/// shown, or what a member coming back missed, and where it stands.
extension ChatRoomMachine {
    /// One thing a joining member is sent.
    enum Greeting: Equatable {
        /// A notice from the room.
        case notice(String)
        /// A text from the log.
        case text(ChatLog.Entry)
        /// The position it has everything up to (for members whose records carry positions).
        case mark(ChatPosition)
    }

    /// What `name` is sent as it joins: with `resume`, what it missed since that position (with
    /// `older`, what the stream had before the log's first entry), else the last
    /// ``historySize`` texts; then, if it wants positions, where it stands, so that it can resume
    /// from there though no text comes to it before it loses its connection.
    func greeting(
        for name: String,
        wantsPositions: Bool,
        resume: ChatPosition? = nil,
        older: ChatLog.Older? = nil
    ) -> [Greeting] {
        var greeting: [Greeting]
        if let resume {
            greeting = self.missed(by: name, since: resume, older: older)
        } else {
            let history = self.log.last(self.historySize)
            greeting = history.map { .text($0) }
            if self.announcesMembership && !history.isEmpty {
                // Marked, so that nobody takes an old text for a new one.
                greeting.insert(
                    .notice("history: the last \(history.count) text\(history.count == 1 ? "" : "s")"),
                    at: 0
                )
                greeting.append(.notice("end of history"))
            }
        }
        if wantsPositions, let mark = self.lastPosition {
            greeting.append(.mark(mark))
        }
        return greeting
    }

    /// What `name`, coming back after `position`, missed, as the log still has it, after a notice
    /// that says how much (and how much is no longer kept). Its own texts are not sent back: the
    /// room never sends a member its own text, and it saw them when it said them.
    private func missed(by name: String, since position: ChatPosition, older: ChatLog.Older?) -> [Greeting] {
        var (all, lost) = self.log.after(
            position,
            streamed: self.streamsTexts,
            base: self.positionBase,
            next: self.nextPosition
        )
        if let older, self.streamsTexts {
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
        return [.notice(text)] + entries.map { .text($0) }
    }
}
