import Foundation
import NIOCore
import Synchronization

/// What the reader does on the server: makes the consumer again from where it stands, deletes it,
/// and reads what each delivery's reply subject says.
extension JetStreamOrderedConsumer {
    // MARK: Doing

    func perform(_ action: JetStreamOrderedConsumerState.Action) {
        guard case .reset(let generation, let start) = action else { return }
        Task {
            do {
                try await self.makeConsumer(generation: generation, start: start)
            } catch {
                // Tried again at the next tick; the connection may be down for now.
                self.storage.withLock { $0.machine.created(generation: generation, succeeded: false, now: .now()) }
            }
        }
    }

    func answer(_ subjects: [String]) {
        for subject in subjects {
            self.client.publishSoon(ByteBuffer(), to: subject)
        }
    }

    /// Subscribes a new deliver subject, then makes the consumer that sends to it (messages may
    /// come before the answer), and drops the previous subscription and consumer.
    func makeConsumer(generation: UInt64, start: JetStreamOrderedConsumerState.Start) async throws {
        let deliverSubject = "_INBOX." + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let subscription = try await self.client.subscribe(to: deliverSubject) { [weak self] message in
            self?.received(message, generation: generation)
        }
        let (stopped, previous, previousName, heartbeat) = self.storage.withLock { storage in
            let previous = (storage.isStopped, storage.subscription, storage.consumerName, storage.machine.heartbeat)
            storage.subscription = subscription
            storage.consumerName = nil
            return previous
        }
        if let previous { await self.client.unsubscribe(previous) }
        if let previousName { self.deleteConsumer(previousName) }
        guard !stopped else {
            await self.client.unsubscribe(subscription)
            return
        }
        let request = ConsumerRequest(
            streamName: self.stream,
            config: ConsumerRequest.Config(
                deliverSubject: deliverSubject,
                start: start,
                filterSubject: self.filterSubject,
                heartbeat: heartbeat
            )
        )
        let info: ConsumerInfo = try await self.jetStream.api(
            "CONSUMER.CREATE.\(self.stream)",
            body: try JetStream.json(request),
            operation: "read stream \(self.stream) in order"
        )
        let stoppedMeanwhile = self.storage.withLock { storage -> Bool in
            if storage.machine.generation == generation { storage.consumerName = info.name }
            storage.machine.created(generation: generation, succeeded: true, now: .now())
            return storage.isStopped
        }
        if stoppedMeanwhile { self.deleteConsumer(info.name) }
    }

    func deleteConsumer(_ name: String) {
        let jetStream = self.jetStream
        let stream = self.stream
        Task {
            // Best effort: an ephemeral consumer without interest is deleted by the server anyway.
            let _: JetStream.Success? = try? await jetStream.api(
                "CONSUMER.DELETE.\(stream).\(name)",
                operation: "delete consumer \(name)"
            )
        }
    }

    struct ConsumerInfo: Decodable {
        var name: String
    }

    struct ConsumerRequest: Encodable {
        var streamName: String
        var config: Config

        enum CodingKeys: String, CodingKey {
            case streamName = "stream_name"
            case config
        }

        struct Config: Encodable {
            var deliverSubject: String
            var start: JetStreamOrderedConsumerState.Start
            var filterSubject: String?
            var heartbeat: TimeAmount

            enum CodingKeys: String, CodingKey {
                case deliverSubject = "deliver_subject"
                case deliverPolicy = "deliver_policy"
                case startSequence = "opt_start_seq"
                case ackPolicy = "ack_policy"
                case maximumDeliveries = "max_deliver"
                case filterSubject = "filter_subject"
                case replayPolicy = "replay_policy"
                case flowControl = "flow_control"
                case idleHeartbeat = "idle_heartbeat"
                case memoryStorage = "mem_storage"
                case replicas = "num_replicas"
                case inactiveThreshold = "inactive_threshold"
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(self.deliverSubject, forKey: .deliverSubject)
                switch self.start {
                case .all: try container.encode("all", forKey: .deliverPolicy)
                case .new: try container.encode("new", forKey: .deliverPolicy)
                case .last: try container.encode("last", forKey: .deliverPolicy)
                case .sequence(let sequence):
                    try container.encode("by_start_sequence", forKey: .deliverPolicy)
                    try container.encode(Swift.max(1, sequence), forKey: .startSequence)
                }
                try container.encode("none", forKey: .ackPolicy)
                try container.encode(1, forKey: .maximumDeliveries)
                if let filterSubject = self.filterSubject {
                    try container.encode(filterSubject, forKey: .filterSubject)
                }
                try container.encode("instant", forKey: .replayPolicy)
                try container.encode(true, forKey: .flowControl)
                try container.encode(self.heartbeat.nanoseconds, forKey: .idleHeartbeat)
                try container.encode(true, forKey: .memoryStorage)
                try container.encode(1, forKey: .replicas)
                // Gone from the server a minute after its reader: long enough to outlive a reconnect.
                try container.encode(Int64(60_000_000_000), forKey: .inactiveThreshold)
            }
        }
    }

    /// What the `$JS.ACK` reply subject of a delivery says: 9 tokens from 2.9
    /// (`$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ns>.<pending>`), or 11 or 12 with a
    /// domain and an account hash after `ACK` (newer servers).
    static func metadata(
        _ reply: String
    ) -> (streamSequence: UInt64, consumerSequence: UInt64, timestamp: Int64, pending: UInt64)? {
        let tokens = reply.split(separator: ".", omittingEmptySubsequences: false)
        let offset: Int
        switch tokens.count {
        case 9: offset = 0
        case 11, 12: offset = 2
        default: return nil
        }
        guard let streamSequence = UInt64(tokens[5 + offset]),
            let consumerSequence = UInt64(tokens[6 + offset]),
            let timestamp = Int64(tokens[7 + offset]),
            let pending = UInt64(tokens[8 + offset])
        else { return nil }
        return (streamSequence, consumerSequence, timestamp, pending)
    }
}
