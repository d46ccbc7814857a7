extension JetStream {
    /// Where an ordered consumer starts reading.
    public struct Position: Sendable, Hashable {
        let start: JetStreamOrderedConsumerState.Start

        /// From the oldest message the stream keeps.
        public static let all = Position(start: .all)
        /// From the next message stored.
        public static let new = Position(start: .new)
        /// From the newest message stored.
        public static let last = Position(start: .last)
        /// From the message at `sequence` (or the next one kept, if it is gone).
        public static func sequence(_ sequence: UInt64) -> Position { Position(start: .sequence(sequence)) }
    }

    /// Reads `stream` in order from `position` (only subjects matching `filterSubject`, if given).
    /// `heartbeat` is how often an idle consumer says it is alive; two silent intervals make a
    /// new one.
    public func orderedConsumer(
        stream: String,
        filterSubject: String? = nil,
        from position: Position = .all,
        heartbeat: Duration = .seconds(5)
    ) async throws -> JetStreamOrderedConsumer {
        try Self.check(name: stream)
        let consumer = JetStreamOrderedConsumer(
            jetStream: self,
            stream: stream,
            filterSubject: filterSubject,
            start: position.start,
            heartbeat: heartbeat
        )
        try await consumer.begin()
        return consumer
    }
}
