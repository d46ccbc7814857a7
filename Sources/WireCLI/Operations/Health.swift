import Synchronization
import WireChat

/// Whether a server is fit to serve, for `/healthz`: it listens, is not shutting down and, when
/// its room spans nodes, is linked to them. Told by the server's own events.
final class Health: Sendable {
    private struct State {
        var listening = false
        var shuttingDown = false
        /// With --nats: `nil` while the room is whole, otherwise why it is not.
        var split: String?
    }

    private let state: Mutex<State>

    /// `linked`: whether the room must be linked to other nodes (with --nats) to be healthy.
    init(linked: Bool) {
        self.state = Mutex(State(split: linked ? "not linked to the other nodes through NATS yet" : nil))
    }

    func listening() {
        self.state.withLock { $0.listening = true }
    }

    func shuttingDown() {
        self.state.withLock { $0.shuttingDown = true }
    }

    func record(_ event: ChatEvent) {
        switch event {
        case .roomSplit(let reason):
            self.state.withLock { $0.split = "the room is split: NATS is out of reach (\(reason))" }
        case .roomWhole:
            self.state.withLock { $0.split = nil }
        default:
            break
        }
    }

    /// `nil` when healthy, otherwise the one-line reason it is not.
    var problem: String? {
        self.state.withLock { state in
            if state.shuttingDown { return "shutting down" }
            if !state.listening { return "starting: not listening yet" }
            return state.split
        }
    }
}
