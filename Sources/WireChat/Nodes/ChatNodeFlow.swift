/// Flow control between the nodes of a room, by credit: a node may have at most ``window`` bytes
/// of texts that another node has not acknowledged, and a node acknowledges only while none of its
/// own members is behind.
///
/// So a member that falls behind on one node holds back the senders of every node after at most a
/// window more, however long NATS takes to carry the word: a `behind` flag alone would let a
/// sender on another node go on at full speed for as long as the flag is on its way.
///
/// A value type without I/O, driven by what the link publishes and hears.
struct ChatNodeFlow {
    /// Bytes a node may publish beyond what every other node has acknowledged.
    let window: Int
    /// Bytes of texts this node has published: the offset its next batch ends past.
    private(set) var published = 0
    /// Per other node, the offset of this node's texts it has acknowledged.
    private(set) var acknowledged: [String: Int] = [:]
    /// Per other node, the offset of its texts this node has received.
    private(set) var received: [String: Int] = [:]
    /// Per other node, the offset this node last acknowledged to it.
    private(set) var sent: [String: Int] = [:]
    /// Counts hold decisions, so that the room applies only the latest of them, whichever thread
    /// delivers it first.
    private(set) var decisions = 0

    init(window: Int) {
        precondition(window > 0, "the window must be positive")
        self.window = window
    }

    /// Whether this node's senders must wait: some node has a window's worth unacknowledged.
    var mustHold: Bool {
        self.acknowledged.values.contains { self.published - $0 >= self.window }
    }

    /// Whether senders must wait now, numbered: a decision with a lower number is older.
    mutating func decide() -> (mustHold: Bool, number: Int) {
        self.decisions += 1
        return (self.mustHold, self.decisions)
    }

    /// Counts a batch of `bytes` published; returns the offset it ends at.
    mutating func publish(bytes: Int) -> Int {
        self.published += bytes
        return self.published
    }

    /// Another node spoke. It acknowledges `offset` of this node's texts; or it acknowledges
    /// nothing, because it has not heard from this node yet or has forgotten it (a split), and then
    /// it is counted afresh from now: it subscribed before it spoke, so it receives everything
    /// published from here on.
    mutating func heard(from node: String, acknowledging offset: Int?) {
        if let offset, offset >= 0 {
            self.acknowledged[node] = max(self.acknowledged[node] ?? 0, min(offset, self.published))
        } else {
            self.acknowledged[node] = self.published
        }
    }

    /// A node left, is out of reach, or the room split: nobody waits for it any more.
    mutating func forget(_ node: String) {
        self.acknowledged.removeValue(forKey: node)
        self.received.removeValue(forKey: node)
        self.sent.removeValue(forKey: node)
    }

    mutating func forgetAll() {
        self.acknowledged.removeAll()
        self.received.removeAll()
        self.sent.removeAll()
    }

    /// Another node's texts arrived up to `offset` (a batch of `bytes` ending there), or its
    /// presence says it has published up to `offset` (`bytes` 0: whatever of that has not arrived
    /// never will). Returns whether to acknowledge now: a quarter of a window arrived since the last
    /// acknowledgement, and nobody here is behind. A negative offset (no node sends one) is ignored.
    mutating func receive(from node: String, offset: Int, bytes: Int = 0, isBehind: Bool) -> Bool {
        guard offset >= 0, bytes >= 0 else { return false }
        if self.sent[node] == nil {
            // The first word from that node: nothing of it is acknowledged yet.
            self.sent[node] = max(0, offset - bytes)
        }
        let received = max(self.received[node] ?? 0, offset)
        self.received[node] = received
        let sent = self.sent[node] ?? 0
        // Both are offsets, never negative: the difference cannot overflow.
        return !isBehind && received - sent >= self.window / 4
    }

    /// The acknowledgements to send now: everything received, unless someone here is behind (then
    /// the last ones again, so that the other nodes' credit does not grow).
    mutating func acknowledgements(isBehind: Bool) -> [String: Int] {
        if !isBehind {
            self.sent = self.received
        }
        return self.sent
    }
}
