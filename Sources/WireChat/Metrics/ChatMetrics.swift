public import CoreMetrics

/// What the chat room records through swift-metrics, where its decisions are made: members
/// joining and leaving, texts in and records out, evictions and refusals by reason, how far behind
/// the slowest member is, senders held by flow control, and the link to other nodes. Names and
/// labels as Prometheus expects (counters end in `_total`, sizes are in bytes); the program
/// chooses the backend (``ServerConfiguration/metricsFactory`` or `MetricsSystem.bootstrap`).
package struct ChatMetrics: Sendable {
    /// `wire_chat_members{transport="tcp"|"websocket"}`: members in the room on this node.
    let tcpMembers: Meter
    let webSocketMembers: Meter
    /// `wire_chat_texts_received_total`: texts this node's members sent to the room.
    let textsReceived: Counter
    /// `wire_chat_records_delivered_total`: texts handed to this node's members (one per recipient).
    let recordsDelivered: Counter
    /// `wire_chat_evictions_total{reason="stalled"|"overflowed"}`.
    let stalled: Counter
    let overflowed: Counter
    /// `wire_chat_refusals_total{reason=...}`: clients refused before joining.
    let refusals: [ChatError.Refusal: Counter]
    /// `wire_chat_slowest_member_queued_bytes`: bytes waiting for the member furthest behind,
    /// sampled at every stall check.
    let slowestQueuedBytes: Meter
    /// `wire_chat_held_senders`: members whose texts wait because someone is behind, sampled
    /// with it.
    let heldSenders: Meter
    /// `wire_chat_nats_link_up`: 1 while the room is linked to the other nodes through NATS, 0
    /// while it is split. This and the next two exist only in a room that spans nodes.
    let natsLinkUp: Meter?
    /// `wire_chat_nats_reconnects_total`: the NATS connection came back after it was lost.
    let natsReconnects: Counter?
    /// `wire_chat_stream_pending_messages`: messages of the room's stream this node has still to
    /// read, as of the last it read (0 in a room linked over core NATS, which keeps nothing).
    let streamPending: Meter?

    /// `spansNodes`: the room is linked to other nodes through NATS.
    package init(factory: any MetricsFactory, spansNodes: Bool) {
        self.tcpMembers = Meter(label: "wire_chat_members", dimensions: [("transport", "tcp")], factory: factory)
        self.webSocketMembers = Meter(
            label: "wire_chat_members",
            dimensions: [("transport", "websocket")],
            factory: factory
        )
        self.textsReceived = Counter(label: "wire_chat_texts_received_total", factory: factory)
        self.recordsDelivered = Counter(label: "wire_chat_records_delivered_total", factory: factory)
        self.stalled = Counter(
            label: "wire_chat_evictions_total",
            dimensions: [("reason", "stalled")],
            factory: factory
        )
        self.overflowed = Counter(
            label: "wire_chat_evictions_total",
            dimensions: [("reason", "overflowed")],
            factory: factory
        )
        var refusals: [ChatError.Refusal: Counter] = [:]
        for refusal in ChatError.Refusal.allCases {
            refusals[refusal] = Counter(
                label: "wire_chat_refusals_total",
                dimensions: [("reason", refusal.rawValue)],
                factory: factory
            )
        }
        self.refusals = refusals
        self.slowestQueuedBytes = Meter(label: "wire_chat_slowest_member_queued_bytes", factory: factory)
        self.heldSenders = Meter(label: "wire_chat_held_senders", factory: factory)
        if spansNodes {
            self.natsLinkUp = Meter(label: "wire_chat_nats_link_up", factory: factory)
            self.natsReconnects = Counter(label: "wire_chat_nats_reconnects_total", factory: factory)
            self.streamPending = Meter(label: "wire_chat_stream_pending_messages", factory: factory)
        } else {
            (self.natsLinkUp, self.natsReconnects, self.streamPending) = (nil, nil, nil)
        }
    }

    func members(_ transport: ChatTransportKind) -> Meter {
        switch transport {
        case .tcp: self.tcpMembers
        case .webSocket: self.webSocketMembers
        }
    }

    /// Counts what an event of the room tells: refusals, evictions, and the link's state.
    func record(_ event: ChatEvent) {
        switch event {
        case .refused(_, let reason):
            if let refusal = reason.refusal {
                self.refusals[refusal]?.increment()
            }
        case .dropped(_, let reason):
            switch reason.code {
            case .stalled: self.stalled.increment()
            case .overflowed: self.overflowed.increment()
            default: break
            }
        case .roomSplit:
            self.natsLinkUp?.set(0)
        case .roomWhole:
            self.natsLinkUp?.set(1)
        case .accepted, .received, .closed, .failed, .roomStream, .jetStreamUnavailable:
            break
        }
    }
}

/// How a member is connected, for ``ChatMetrics``.
enum ChatTransportKind: Sendable {
    case tcp
    case webSocket
}

extension ChatError {
    /// Why a client was refused before joining, as a metric's label.
    package enum Refusal: String, CaseIterable, Sendable {
        case usernameEmpty = "username_empty"
        case usernameTooLong = "username_too_long"
        case usernameTaken = "username_taken"
        case usernameReserved = "username_reserved"
        case usernameNotText = "username_not_text"
        case malformedHello = "malformed_hello"
    }

    /// The refusal this error is, if it is one.
    var refusal: Refusal? {
        switch self.code {
        case .emptyUsername: .usernameEmpty
        case .usernameTooLong: .usernameTooLong
        case .usernameTaken: .usernameTaken
        case .usernameReserved: .usernameReserved
        case .usernameNotText: .usernameNotText
        case .malformedHello: .malformedHello
        case .incompleteRecord, .silent, .invalidRoomName, .stalled, .overflowed: nil
        }
    }
}
