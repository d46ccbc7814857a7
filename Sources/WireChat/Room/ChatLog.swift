import NIOCore

/// The room's last texts, each as the room received it (who said it, and what) with its
/// position: the history newcomers get, and what a member that comes back missed; each kind of
/// member encodes them for its own wire. Bounded by a count and by bytes (8 MiB), the oldest
/// going first.
struct ChatLog {
    struct Entry: Equatable {
        /// `nil` for a text whose place in the room is not known yet (said on a node cut off
        /// from the others).
        let position: ChatPosition?
        let name: String
        /// Its own storage, not a slice of a burst or of a read buffer that the log would keep alive.
        let text: ByteBuffer

        init(position: ChatPosition?, name: String, text: ByteBuffer) {
            self.position = position
            self.name = name
            self.text = text
        }

        /// What it counts for in the log's bound.
        var size: Int { self.name.utf8.count + self.text.readableBytes }
    }

    /// How many texts a member that comes back missed and the log no longer has.
    enum Lost: Equatable {
        case count(UInt64)
        case unknown
        /// Still kept (in the stream), but more than one resume replays.
        case tooMany
    }

    /// What a member coming back missed before the log's first entry, read from the room's
    /// stream: the entries after its position and before `before` (the log's first then), in
    /// order; `lost` is `nil` when they are all there.
    struct Older {
        var entries: [Entry]
        var before: ChatPosition
        var lost: Lost?
    }

    /// Whether a member that comes back after `position` may have missed texts the log no
    /// longer has. In a stream, a batch's size is not known here: a log that starts at the
    /// next batch may still lack the rest of `position`'s own batch, so that counts as a gap.
    func startsAfter(_ position: ChatPosition) -> ChatPosition? {
        guard let first = self.entries.first?.position, first > position,
            first != ChatPosition(major: position.major, minor: position.minor &+ 1)
        else { return nil }
        return first
    }

    static let maximumBytes = 8 * 1024 * 1024

    private(set) var entries = CircularBuffer<Entry>()
    private(set) var bytes = 0

    mutating func append(_ entry: Entry, keeping count: Int) {
        self.entries.append(entry)
        self.bytes += entry.size
        while self.entries.count > count || (self.bytes > Self.maximumBytes && self.entries.count > 1) {
            self.bytes -= self.entries.removeFirst().size
        }
    }

    /// The last `count` entries, oldest first.
    func last(_ count: Int) -> [Entry] {
        Array(self.entries.suffix(count))
    }

    /// What came after `position`, and how much of that the log no longer has: in a room on one
    /// node positions count texts, so the gap is known; in a room kept in a stream, only that
    /// there is one.
    func after(
        _ position: ChatPosition,
        streamed: Bool,
        base: UInt64,
        next: UInt64? = nil
    ) -> (entries: [Entry], lost: Lost?) {
        if !streamed && position.major + 1 < base {
            // From before this node started: everything it has is new to that client, and what
            // was said before (in the node's earlier run) is gone with that run.
            return (Array(self.entries), .unknown)
        }
        guard let index = self.entries.firstIndex(where: { ($0.position ?? position) > position }) else {
            // Nothing after it here. On one node, texts said after it that the log no longer has
            // (it keeps none, or fewer than were said) are counted; a position beyond what the
            // node has said is from another run of it: what was said since its start is all it
            // can give.
            if !streamed, let next, next > position.major + 1 {
                return ([], .count(next - position.major - 1))
            }
            return ([], nil)
        }
        let entries = Array(self.entries[index...])
        guard let first = entries.first?.position, index == self.entries.startIndex else {
            return (entries, nil)
        }
        // The log starts after `position`: was anything in between dropped from it?
        if streamed {
            return (entries, first.major > position.major + 1 ? .unknown : nil)
        }
        let gap = first.major > position.major + 1 ? first.major - position.major - 1 : 0
        return (entries, gap > 0 ? .count(gap) : nil)
    }
}
