import NIOCore

/// The decisions of an ordered consumer, without I/O: which deliveries are in order, when the
/// server-side consumer must be made again (a gap, a heartbeat that says messages were lost, no
/// word for two heartbeat intervals, a reconnect), from where, and when to answer the server's
/// flow-control requests.
///
/// The consumer behind it is an ephemeral push consumer with `ack_policy: none`: the server sends
/// every message once, numbered in two ways, its stream sequence and the consumer's own sequence
/// (1, 2, 3... per consumer). A consumer sequence that skips means a message was lost on the way;
/// the remedy is a new consumer that starts just after the last stream sequence delivered
/// (ADR-17). Flow control is answered only once the reader has taken every message that arrived
/// before the request, so the server never sends more than its window ahead of the reader: the
/// stream is the buffer, not this process.
///
/// Time comes in as an argument, so tests drive it with a fake clock.
struct JetStreamOrderedConsumerState {
    /// Where a consumer starts.
    enum Start: Hashable, Sendable {
        case all
        case new
        case last
        case sequence(UInt64)
    }

    enum Action: Hashable {
        /// Nothing to do.
        case none
        /// Hand the message to the reader.
        case deliver
        /// Drop the current consumer (and its subscription) and make generation `generation`,
        /// starting at `start`.
        case reset(generation: UInt64, start: Start)
    }

    /// Where the first consumer started, and where a new one starts while nothing was delivered.
    let start: Start
    let heartbeat: TimeAmount
    /// The current consumer; deliveries and heartbeats of older ones are ignored.
    private(set) var generation: UInt64 = 0
    /// The consumer sequence the next delivery must have.
    private(set) var expectedConsumerSequence: UInt64 = 1
    /// The stream sequence of the last message delivered, if any.
    private(set) var lastStreamSequence: UInt64?
    /// A consumer is being made; until it answers no other is started.
    private(set) var isCreating = true
    /// The last attempt to make a consumer failed: try again at the next tick.
    private(set) var needsReset = false
    private var lastActivity: NIODeadline
    /// Messages handed to the reader, and taken by it, since the start.
    private(set) var delivered: UInt64 = 0
    private(set) var consumed: UInt64 = 0
    /// Flow-control requests to answer once `consumed` reaches `after`.
    private var flowControl: [(after: UInt64, subject: String)] = []

    init(start: Start, heartbeat: TimeAmount, now: NIODeadline) {
        self.start = start
        self.heartbeat = heartbeat
        self.lastActivity = now
    }

    /// Where a new consumer starts: after the last message delivered, or where the first did.
    var resumeStart: Start {
        self.lastStreamSequence.map { .sequence($0 + 1) } ?? self.start
    }

    /// A message of generation `generation`.
    mutating func received(
        generation: UInt64,
        consumerSequence: UInt64,
        streamSequence: UInt64,
        now: NIODeadline
    ) -> Action {
        guard generation == self.generation else { return .none }
        self.lastActivity = now
        guard consumerSequence == self.expectedConsumerSequence else {
            return self.reset(now: now)
        }
        self.expectedConsumerSequence += 1
        self.lastStreamSequence = streamSequence
        self.delivered += 1
        return .deliver
    }

    /// An idle heartbeat: the consumer is alive, and says which consumer sequence it sent last.
    /// It may also say that it is stalled waiting for a flow-control answer.
    mutating func heartbeat(
        generation: UInt64,
        lastConsumerSequence: UInt64?,
        stalledOn subject: String?,
        now: NIODeadline
    ) -> (action: Action, answers: [String]) {
        guard generation == self.generation else { return (.none, []) }
        self.lastActivity = now
        if let last = lastConsumerSequence, last != self.expectedConsumerSequence - 1 {
            // It sent messages that never arrived.
            return (self.reset(now: now), [])
        }
        guard let subject, !self.flowControl.contains(where: { $0.subject == subject }) else { return (.none, []) }
        // A request we never saw: answer it as if it came now.
        return (.none, self.flowControlRequest(generation: generation, subject: subject, now: now))
    }

    /// The server asks whether to go on; returns the subjects to answer now.
    mutating func flowControlRequest(generation: UInt64, subject: String, now: NIODeadline) -> [String] {
        guard generation == self.generation else { return [] }
        self.lastActivity = now
        if self.consumed >= self.delivered {
            return [subject]
        }
        self.flowControl.append((self.delivered, subject))
        return []
    }

    /// The reader took a message; returns the flow-control requests it has now caught up with.
    mutating func consumedOne() -> [String] {
        self.consumed += 1
        var answers: [String] = []
        while let first = self.flowControl.first, first.after <= self.consumed {
            answers.append(first.subject)
            self.flowControl.removeFirst()
        }
        return answers
    }

    /// The consumer of `generation` exists now (or could not be made).
    mutating func created(generation: UInt64, succeeded: Bool, now: NIODeadline) {
        guard generation == self.generation else { return }
        self.isCreating = false
        self.needsReset = !succeeded
        self.lastActivity = now
    }

    /// The connection to the server came back: the consumer may be gone with the server.
    mutating func reconnected(now: NIODeadline) -> Action {
        self.isCreating ? .none : self.reset(now: now)
    }

    /// A status from the server that ends the consumer (deleted, leadership changed).
    mutating func ended(generation: UInt64, now: NIODeadline) -> Action {
        guard generation == self.generation, !self.isCreating else { return .none }
        return self.reset(now: now)
    }

    /// Checks for a consumer that has said nothing for two heartbeat intervals, and retries a
    /// failed creation.
    mutating func tick(now: NIODeadline) -> Action {
        guard !self.isCreating else { return .none }
        if self.needsReset || now - self.lastActivity >= self.heartbeat * 2 {
            return self.reset(now: now)
        }
        return .none
    }

    private mutating func reset(now: NIODeadline) -> Action {
        self.generation += 1
        self.expectedConsumerSequence = 1
        // The old consumer is deleted: its requests need no answer.
        self.flowControl.removeAll()
        self.isCreating = true
        self.needsReset = false
        self.lastActivity = now
        return .reset(generation: self.generation, start: self.resumeStart)
    }
}
