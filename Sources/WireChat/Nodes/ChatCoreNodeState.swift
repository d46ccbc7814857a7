/// One node's decisions in a room linked over core NATS, without I/O: credit between the nodes
/// (``ChatNodeFlow``), publishes in flight and the hold they put on this node's senders, whether
/// the room is split or whole and whether that was said, and the server's largest payload.
///
/// ``ChatNATSLink`` keeps it on the NATS client's event loop, where every event reaches it (texts
/// handed over in order from the members' tasks, messages and connection events from the client),
/// and carries out the actions it returns; nothing in it is shared between threads.
struct ChatCoreNodeState {
    enum Action: Hashable {
        /// Hold this node's senders (or let them go) for the other nodes' credit; `decision` numbers
        /// it, so that the room applies the latest.
        case holdForWindow(Bool, decision: Int)
        /// Hold this node's senders (or let them go) for the publishes NATS has not taken yet.
        case holdForOutbound(Bool)
        /// Tell the other nodes this node's state now (acknowledgements are due).
        case publishPresence
        /// Publishes failed so far and the last error, to log (the first, then one in a thousand).
        case logPublishFailures(Int, error: String)
        /// The room is split from the other nodes: tell the room; `isNews`: and say so (once).
        case split(reason: String, isNews: Bool)
        /// The room is whole again, through `server`: tell the room and its members.
        case whole(server: String)
    }

    /// Publishes in flight above which this node's senders wait for NATS to take them.
    static let outstandingLimit = 64

    private(set) var flow: ChatNodeFlow
    /// The server's `max_payload`, once known.
    private(set) var maximumPayload = 1024 * 1024
    private(set) var outstanding = 0
    private(set) var isHeldForOutbound = false
    private(set) var failures = 0
    /// Connection attempts that failed since the last success.
    private(set) var failedAttempts = 0
    /// Whether the last thing said of the room is that it is split.
    private(set) var saidSplit = false
    /// Set once the node says goodbye: nothing but the goodbye may follow it.
    private(set) var isClosing = false

    init(window: Int) {
        self.flow = ChatNodeFlow(window: window)
    }

    // MARK: Out

    /// Texts of this node's members go out in batches of these sizes: their offsets, and whether
    /// the senders must now wait for the other nodes' credit.
    mutating func publishingTexts(sizes: [Int]) -> (actions: [Action], offsets: [Int]) {
        let offsets = sizes.map { self.flow.publish(bytes: $0) }
        let decision = self.flow.decide()
        return (decision.mustHold ? [.holdForWindow(true, decision: decision.number)] : [], offsets)
    }

    /// A publish was handed to the client.
    mutating func publishing() -> [Action] {
        self.outstanding += 1
        guard self.outstanding > Self.outstandingLimit, !self.isHeldForOutbound else { return [] }
        self.isHeldForOutbound = true
        return [.holdForOutbound(true)]
    }

    /// The client took a publish, or failed it with `error`.
    mutating func published(error: String? = nil) -> [Action] {
        var actions: [Action] = []
        if let error {
            self.failures += 1
            // The first, then one in a thousand: a long split must not flood the log.
            if self.failures == 1 || self.failures % 1000 == 0 {
                actions.append(.logPublishFailures(self.failures, error: error))
            }
        }
        self.outstanding -= 1
        if self.outstanding == 0 && self.isHeldForOutbound {
            self.isHeldForOutbound = false
            actions.append(.holdForOutbound(false))
        }
        return actions
    }

    /// The acknowledgements to send with this node's presence, and the offset of its own texts.
    mutating func presence(isBehind: Bool) -> (acks: [String: Int], published: Int) {
        (self.flow.acknowledgements(isBehind: isBehind), self.flow.published)
    }

    /// The node says goodbye: after it, only the goodbye goes out.
    @discardableResult
    mutating func close() -> [Action] {
        self.isClosing = true
        return []
    }

    // MARK: In

    /// Another node's texts arrived, up to `offset` (a batch of `bytes` ending there).
    mutating func received(from node: String, offset: Int, bytes: Int, isBehind: Bool) -> [Action] {
        self.flow.receive(from: node, offset: offset, bytes: bytes, isBehind: isBehind) ? [.publishPresence] : []
    }

    /// Another node's presence: what of this node's texts it acknowledges, and what it has
    /// published itself (`kind` `.bye`: it leaves).
    mutating func heard(
        from node: String,
        kind: ChatNATSLink.Presence.Kind,
        acknowledging acknowledged: Int?,
        published: Int?,
        isBehind: Bool
    ) -> [Action] {
        var actions: [Action] = []
        if kind == .bye {
            self.flow.forget(node)
        } else {
            self.flow.heard(from: node, acknowledging: acknowledged)
            // What it published and has not arrived by now never will: no debt of ours.
            if let published, self.flow.receive(from: node, offset: published, isBehind: isBehind), kind == .state {
                actions.append(.publishPresence)
            }
        }
        actions.append(self.windowDecision())
        return actions
    }

    /// Nodes gone silent: their members have left, and nobody waits for their credit.
    mutating func silent(_ nodes: [String]) -> [Action] {
        guard !nodes.isEmpty else { return [] }
        for node in nodes { self.flow.forget(node) }
        return [self.windowDecision()]
    }

    /// Connected to NATS `server` (again), whose largest payload is `maximumPayload`.
    mutating func connected(to server: String, maximumPayload: Int?) -> [Action] {
        self.failedAttempts = 0
        if let maximumPayload { self.maximumPayload = maximumPayload }
        self.saidSplit = false
        return [.whole(server: server)]
    }

    /// The connection was lost.
    mutating func disconnected(reason: String) -> [Action] {
        self.split(reason)
    }

    /// An attempt to connect failed; the room is split once every one of `servers` has failed
    /// (at start-up with NATS not there yet, not at every attempt, or when the next will do).
    mutating func attemptFailed(reason: String, servers: Int) -> [Action] {
        self.failedAttempts += 1
        return self.failedAttempts >= servers ? self.split(reason) : []
    }

    private mutating func split(_ reason: String) -> [Action] {
        // Nobody can acknowledge anything now: the window starts again when the room is whole.
        self.flow.forgetAll()
        let isNews = !self.saidSplit
        self.saidSplit = true
        return [self.windowDecision(), .split(reason: reason, isNews: isNews)]
    }

    private mutating func windowDecision() -> Action {
        let decision = self.flow.decide()
        return .holdForWindow(decision.mustHold, decision: decision.number)
    }
}
