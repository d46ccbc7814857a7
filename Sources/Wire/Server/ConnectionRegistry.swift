import NIOCore
import Synchronization

/// The server's open connections, so that a graceful shutdown can give each one its grace period.
///
/// One dictionary entry per connection, rather than a shutdown handler registered by each
/// connection's task: the same behaviour for about a kilobyte less per idle connection.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var closeDeadline: NIODeadline?
        /// Whoever waits for the last connection to close (the server's run, at its end).
        var whenEmpty: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Registers `channel` unless `limit` connections are open already; a connection accepted
    /// during a shutdown gets what is left of the grace period.
    func insert(_ channel: any Channel, limit: Int) -> Bool {
        let (inserted, deadline) = self.state.withLock { state -> (Bool, NIODeadline?) in
            guard state.channels.count < limit else { return (false, nil) }
            state.channels[ObjectIdentifier(channel)] = channel
            return (true, state.closeDeadline)
        }
        if let deadline {
            Self.close(channel, at: deadline)
        }
        return inserted
    }

    /// How many connections are open.
    var count: Int {
        self.state.withLock { $0.channels.count }
    }

    func remove(_ channel: any Channel) {
        let waiting = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.channels.removeValue(forKey: ObjectIdentifier(channel))
            guard state.channels.isEmpty else { return [] }
            defer { state.whenEmpty = [] }
            return state.whenEmpty
        }
        for waiter in waiting { waiter.resume() }
    }

    /// Returns once no connection is open.
    func waitUntilEmpty() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let isEmpty = self.state.withLock { state in
                if state.channels.isEmpty { return true }
                state.whenEmpty.append(continuation)
                return false
            }
            if isEmpty { continuation.resume() }
        }
    }

    /// Closes every open connection once `gracePeriod` has passed, unless it has finished by then.
    func closeAll(after gracePeriod: Duration) {
        let deadline = NIODeadline.now() + TimeAmount(gracePeriod)
        let channels = self.state.withLock { state -> [any Channel] in
            state.closeDeadline = deadline
            return Array(state.channels.values)
        }
        for channel in channels {
            Self.close(channel, at: deadline)
        }
    }

    private static func close(_ channel: any Channel, at deadline: NIODeadline) {
        channel.eventLoop.scheduleTask(deadline: deadline) {
            channel.close(promise: nil)
        }
    }
}
