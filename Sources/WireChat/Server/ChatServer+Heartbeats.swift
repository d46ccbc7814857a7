import NIOCore
import Synchronization

/// Heartbeats to members that said hello, TCP and browsers alike, and the silence that ends them.
extension ChatServer {
    /// Sends member `id` a heartbeat every `interval` until cancelled, or until it has not been
    /// heard from for three intervals: then calls `onSilent` with how long, and returns. For TCP
    /// members and browsers alike.
    static func sendHeartbeats(
        to id: ChatRoom.MemberID,
        every interval: Duration,
        room: ChatRoom,
        lastHeard: LastHeard,
        onSilent: (Duration) -> Void
    ) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            room.heartbeat(id)
            let silent = Int64(NIODeadline.now().uptimeNanoseconds) - lastHeard.value.load(ordering: .relaxed)
            if silent > 3 * TimeAmount(interval).nanoseconds {
                onSilent(.nanoseconds(silent))
                return
            }
        }
    }

    /// When the member was last heard from (a message or a heartbeat), in uptime nanoseconds.
    final class LastHeard: Sendable {
        let value = Atomic<Int64>(Int64(NIODeadline.now().uptimeNanoseconds))

        func heard() {
            self.value.store(Int64(NIODeadline.now().uptimeNanoseconds), ordering: .relaxed)
        }
    }
}
