import Synchronization
import Wire

/// Standard input for `wire serve --framing raw`: it goes to the first connection, as with
/// `nc -l`; it is read only once a connection has come, so a server started in the background
/// does not stop for reading a terminal.
final class StandardInputForwarder: Sendable {
    private let claimed = Atomic<Bool>(false)
    let maximumMessageSize: Int

    init(maximumMessageSize: Int) {
        self.maximumMessageSize = maximumMessageSize
    }

    /// Sends standard input to `connection` if no connection has taken it yet; returns at its end.
    /// Its end is not passed on as a half-close (as with nc without -N), so that a client still
    /// sending is not cut short.
    func forward(to connection: WireConnection) async {
        guard self.claimed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        do {
            for try await chunk in StandardInputMessages(.stream, maximumMessageSize: self.maximumMessageSize) {
                try await connection.send(chunk)
            }
        } catch {
            // The connection closed: the rest of standard input has nowhere to go.
        }
    }
}
