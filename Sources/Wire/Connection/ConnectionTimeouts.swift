/// How long a connection may wait for messages before it is closed, and when it sends heartbeats.
package struct ConnectionTimeouts: Sendable {
    /// No message either way for this long closes the connection.
    package var idle: Duration?
    /// No complete message from the peer this long after connecting closes the connection.
    package var firstMessage: Duration?
    /// With nothing sent for this long, an empty message goes out; empty messages received are
    /// heartbeats, not messages. Only in framings that have empty messages (not raw).
    package var heartbeat: Duration?

    package init(idle: Duration? = nil, firstMessage: Duration? = nil, heartbeat: Duration? = nil) {
        self.idle = idle
        self.firstMessage = firstMessage
        self.heartbeat = heartbeat
    }

    /// Whether any of them is set, so that the connection needs a clock at all.
    package var areSet: Bool {
        self.idle != nil || self.firstMessage != nil || self.heartbeat != nil
    }
}
