import NIOCore

/// The timeouts and heartbeats of one connection, without I/O: a value driven by what happens
/// (a message or heartbeat arrives, the connection writes, the timer fires) that says what to do,
/// with the time passed in, so that tests drive it with a fake clock.
///
/// - The idle timeout counts from the last message either way (or heartbeat received).
/// - The first-message timeout counts from the connection, until the peer's first whole message.
/// - A heartbeat goes out when nothing was written for the heartbeat interval; it does not count
///   as activity for the idle timeout (only what the peer sends proves it is there).
package struct ConnectionClock {
    /// What the connection must do when the timer fires.
    package enum Action: Equatable {
        /// Write an empty message.
        case sendHeartbeat
        /// Close: the peer sent no whole message in time.
        case closeForFirstMessage(after: Duration)
        /// Close: nothing either way for the idle timeout.
        case closeForIdleness(after: Duration)
    }

    package let timeouts: ConnectionTimeouts
    /// Whether heartbeats are sent and recognised (the framing must have empty messages).
    package let heartbeats: Bool
    package private(set) var connectedAt: NIODeadline
    package private(set) var lastActivity: NIODeadline
    package private(set) var lastWrite: NIODeadline
    package private(set) var sawMessage = false

    package init(timeouts: ConnectionTimeouts, framingAllowsEmptyMessages: Bool, now: NIODeadline) {
        self.timeouts = timeouts
        self.heartbeats = timeouts.heartbeat != nil && framingAllowsEmptyMessages
        self.connectedAt = now
        self.lastActivity = now
        self.lastWrite = now
    }

    /// The connection is up: every clock starts now.
    package mutating func start(now: NIODeadline) {
        self.connectedAt = now
        self.lastActivity = now
        self.lastWrite = now
    }

    /// Messages arrived from the peer.
    package mutating func receivedMessages(now: NIODeadline) {
        self.lastActivity = now
        self.sawMessage = true
    }

    /// A heartbeat arrived: the peer is there, but it sent no message.
    package mutating func receivedHeartbeat(now: NIODeadline) {
        self.lastActivity = now
    }

    /// The connection wrote a message of its own.
    package mutating func wrote(now: NIODeadline) {
        self.lastActivity = now
        self.lastWrite = now
    }

    /// When the timer must fire next, or `nil` if nothing can time out.
    package var deadline: NIODeadline? {
        var deadlines: [NIODeadline] = []
        if let idle = self.timeouts.idle {
            deadlines.append(self.lastActivity + TimeAmount(idle))
        }
        if let first = self.timeouts.firstMessage, !self.sawMessage {
            deadlines.append(self.connectedAt + TimeAmount(first))
        }
        if let heartbeat = self.timeouts.heartbeat, self.heartbeats {
            deadlines.append(self.lastWrite + TimeAmount(heartbeat))
        }
        return deadlines.min()
    }

    /// The timer fired: what is due now, in order (a heartbeat, then at most one close).
    package mutating func fire(now: NIODeadline) -> [Action] {
        var actions: [Action] = []
        if let heartbeat = self.timeouts.heartbeat, self.heartbeats, self.lastWrite + TimeAmount(heartbeat) <= now {
            self.lastWrite = now
            actions.append(.sendHeartbeat)
        }
        if let first = self.timeouts.firstMessage, !self.sawMessage, self.connectedAt + TimeAmount(first) <= now {
            actions.append(.closeForFirstMessage(after: first))
        } else if let idle = self.timeouts.idle, self.lastActivity + TimeAmount(idle) <= now {
            actions.append(.closeForIdleness(after: idle))
        }
        return actions
    }
}
