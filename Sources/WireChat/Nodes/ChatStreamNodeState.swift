import NIOCore

/// One node's decisions in a room kept in a JetStream stream, without I/O: what to publish and
/// when, what to deliver to this node's members and when, so that every member on every node gets
/// every text once, each sender's in order, and while the room is whole all in the stream's order.
///
/// - A member's texts are *records*, numbered here. While the room is whole they are published and
///   delivered to this node's members only when they come back from the stream, in the stream's
///   order like everyone else's (never back to their sender).
/// - One publish is in flight at a time, carrying every record waiting (up to ``batchLimit``
///   bytes), with a message ID of this node's and a counter: one publish per round trip, however
///   many texts, and a retry after a lost answer is stored once. Stop-and-wait keeps each sender's
///   order through retries, which concurrent publishes would not.
/// - While the room is split (NATS out of reach), this node's texts are delivered here at once
///   and wait to be published; published later, they are skipped when they come back. Texts of
///   this node in flight when the link is lost are delivered here at once too.
/// - A stream message of another node whose counter is not above the last one seen from that
///   node is a duplicate (published again after the stream's duplicate window), and is skipped.
struct ChatStreamNodeState {
    struct Record: Hashable {
        let sender: ChatRoom.MemberID
        let name: String
        let text: ByteBuffer
        /// Already delivered to this node's members (while split).
        var isDelivered = false
    }

    /// A message this node publishes: its counter (the message ID's second half) and records.
    struct Message: Hashable {
        let counter: UInt64
        let records: [Record]
    }

    /// Records to deliver to this node's members: each but to `excluding`, its sender if local.
    /// Records to deliver to this node's members, each to all but `excluding` (its sender, if
    /// local), with its position in the room (`nil` while it is not in the stream yet).
    struct Delivery: Hashable {
        struct Item: Hashable {
            var name: String
            var text: ByteBuffer
            var excluding: ChatRoom.MemberID?
            var position: ChatPosition?
        }

        var records: [Item]
    }

    enum Action: Hashable {
        case publish(Message)
        case deliver(Delivery)
    }

    /// This node's identity in message IDs and subjects.
    let node: String
    /// The most bytes of records one message carries.
    let batchLimit: Int
    private(set) var isSplit = true
    /// Records waiting to be published, in the order their members sent them.
    private(set) var waiting: [Record] = []
    private(set) var waitingBytes = 0
    /// The message published and not yet acknowledged.
    private(set) var inFlight: Message?
    /// Messages stored and not yet seen back from the stream, by counter.
    private var awaitingEcho: [UInt64: Message] = [:]
    private var nextCounter: UInt64 = 1
    /// Per other node, the highest counter seen from it.
    private var lastCounters: [String: UInt64] = [:]
    /// Closing: nothing is tried again from now on.
    private(set) var isClosing = false
    /// Failed attempts at the message in flight.
    private var failures = 0

    /// When the shell tries the message in flight again, with the same message ID (stored once).
    struct Retry: Equatable {
        var after: TimeAmount
        /// Whether to say so in the log: the first failure, then one in ten, so that a long split
        /// does not flood it.
        var says: Bool
    }

    init(node: String, batchLimit: Int) {
        precondition(batchLimit > 0, "a batch must hold something")
        self.node = node
        self.batchLimit = batchLimit
    }

    /// Bytes a record takes in a message: its member, its name and its text, each with a length.
    static func size(name: String, text: ByteBuffer) -> Int {
        12 + name.utf8.count + text.readableBytes
    }

    /// A member of this node sent `texts`.
    mutating func sent(_ texts: [ByteBuffer], from sender: ChatRoom.MemberID, name: String) -> [Action] {
        guard !texts.isEmpty else { return [] }
        var actions: [Action] = []
        var records = texts.map { Record(sender: sender, name: name, text: $0) }
        if self.isSplit {
            for index in records.indices { records[index].isDelivered = true }
            actions.append(.deliver(Self.delivery(records)))
        }
        self.waiting.append(contentsOf: records)
        self.waitingBytes += records.reduce(0) { $0 + Self.size(name: $1.name, text: $1.text) }
        actions.append(contentsOf: self.publishNext())
        return actions
    }

    /// The stream stored message `counter`.
    mutating func stored(counter: UInt64) -> [Action] {
        guard let message = self.inFlight, message.counter == counter else { return [] }
        self.inFlight = nil
        self.failures = 0
        self.awaitingEcho[counter] = message
        return self.publishNext()
    }

    /// The attempt at publishing message `counter` failed (no answer, no stream leader, the link
    /// lost): when to try again, waiting 50 ms, then twice as long each time up to a second; `nil`
    /// while closing, or for a message no longer in flight.
    mutating func publishFailed(counter: UInt64) -> Retry? {
        guard !self.isClosing, let message = self.inFlight, message.counter == counter else { return nil }
        self.failures += 1
        let wait = TimeAmount.milliseconds(Int64(min(1000, 50 << min(self.failures - 1, 5))))
        return Retry(after: wait, says: self.failures == 1 || self.failures % 10 == 0)
    }

    /// The link is closing: nothing is tried again.
    mutating func close() {
        self.isClosing = true
    }

    /// A message came from the stream: from `node`, with that node's `counter`, carrying
    /// `records` (the sender's member identity is meaningful only for this node's own).
    mutating func streamed(
        from node: String,
        counter: UInt64,
        sequence: UInt64 = 0,
        records: [(member: UInt64, name: String, text: ByteBuffer)]
    ) -> [Action] {
        if node == self.node, let message = self.awaitingEcho.removeValue(forKey: counter) {
            return Self.echo(message, sequence: sequence)
        }
        if node == self.node, let message = self.inFlight, message.counter == counter {
            // Back before its acknowledgement (the answer was lost, or is still on its way): it
            // is stored, so the next may go (the acknowledgement, when it comes, is ignored).
            self.inFlight = nil
            self.failures = 0
            return Self.echo(message, sequence: sequence) + self.publishNext()
        }
        // Another node's, or this node's from before a restart (its members are not these).
        if let last = self.lastCounters[node], counter <= last {
            return []
        }
        self.lastCounters[node] = counter
        guard !records.isEmpty else { return [] }
        return [
            .deliver(
                Delivery(
                    records: records.enumerated().map { index, record in
                        Delivery.Item(
                            name: record.name,
                            text: record.text,
                            excluding: nil,
                            position: Self.position(sequence, index)
                        )
                    }
                )
            )
        ]
    }

    /// This node's message back from the stream: what its members have not had yet, with the
    /// positions the stream gave.
    private static func echo(_ message: Message, sequence: UInt64) -> [Action] {
        let items = message.records.enumerated().compactMap { index, record -> Delivery.Item? in
            guard !record.isDelivered else { return nil }
            return Delivery.Item(
                name: record.name,
                text: record.text,
                excluding: record.sender,
                position: Self.position(sequence, index)
            )
        }
        return items.isEmpty ? [] : [.deliver(Delivery(records: items))]
    }

    private static func position(_ sequence: UInt64, _ index: Int) -> ChatPosition? {
        sequence > 0 ? ChatPosition(major: sequence, minor: UInt32(truncatingIfNeeded: index)) : nil
    }

    /// The link to NATS is lost: what this node's members have not been given of their own
    /// node's texts, they get now; what waits is published when the link is back.
    mutating func linkLost() -> [Action] {
        guard !self.isSplit else { return [] }
        self.isSplit = true
        var undelivered: [Record] = []
        for counter in self.awaitingEcho.keys.sorted() {
            guard var message = self.awaitingEcho[counter] else { continue }
            undelivered += message.records.filter { !$0.isDelivered }
            message = Message(
                counter: counter,
                records: message.records.map {
                    var record = $0
                    record.isDelivered = true
                    return record
                }
            )
            self.awaitingEcho[counter] = message
        }
        if let message = self.inFlight {
            undelivered += message.records.filter { !$0.isDelivered }
            self.inFlight = Message(
                counter: message.counter,
                records: message.records.map {
                    var record = $0
                    record.isDelivered = true
                    return record
                }
            )
        }
        undelivered += self.waiting.filter { !$0.isDelivered }
        for index in self.waiting.indices { self.waiting[index].isDelivered = true }
        return undelivered.isEmpty ? [] : [.deliver(Self.delivery(undelivered))]
    }

    /// The link is back: publishing goes on (the message in flight, if any, is being retried by
    /// the shell with its counter).
    mutating func linkBack() -> [Action] {
        guard self.isSplit else { return [] }
        self.isSplit = false
        return self.publishNext()
    }

    /// Whether this node's senders should wait: too much waits to be published.
    func isBacklogged(limit: Int) -> Bool {
        self.waitingBytes > limit
    }

    private mutating func publishNext() -> [Action] {
        guard self.inFlight == nil, !self.waiting.isEmpty else { return [] }
        var bytes = 0
        var count = 0
        for record in self.waiting {
            let size = Self.size(name: record.name, text: record.text)
            // At least one record, however large (the shell refuses what NATS cannot carry).
            if count > 0 && bytes + size > self.batchLimit { break }
            bytes += size
            count += 1
        }
        let message = Message(counter: self.nextCounter, records: Array(self.waiting.prefix(count)))
        self.nextCounter += 1
        self.waiting.removeFirst(count)
        self.waitingBytes -= bytes
        self.inFlight = message
        return [.publish(message)]
    }

    private static func delivery(_ records: [Record]) -> Delivery {
        Delivery(
            records: records.map { Delivery.Item(name: $0.name, text: $0.text, excluding: $0.sender, position: nil) }
        )
    }
}
