import NIOCore
import Synchronization

/// A member's outbound queue: bounded in messages and bytes, drained by one writer task.
///
/// The room only ever offers to the queue, which never waits: when a member does not read, its
/// queue fills up and the offer fails, and the room drops that member instead of slowing down.
final class ChatSubscriber: Sendable {
    private struct State {
        var queue: [ByteBuffer] = []
        var queuedBytes = 0
        var closed = false
        var waiter: CheckedContinuation<[ByteBuffer]?, Never>?
    }

    let maximumMessages: Int
    let maximumBytes: Int
    private let state = Mutex(State())

    init(maximumMessages: Int, maximumBytes: Int) {
        self.maximumMessages = maximumMessages
        self.maximumBytes = maximumBytes
    }

    /// Queues frames for the writer; `false` if they do not fit (or the queue is closed).
    func offer(_ frames: [ByteBuffer]) -> Bool {
        let bytes = frames.reduce(0) { $0 + $1.readableBytes }
        let (accepted, waiter, batch) = self.state.withLock {
            state -> (Bool, CheckedContinuation<[ByteBuffer]?, Never>?, [ByteBuffer]) in
            guard !state.closed,
                state.queue.count + frames.count <= self.maximumMessages,
                state.queuedBytes + bytes <= self.maximumBytes
            else {
                return (false, nil, [])
            }
            if let waiter = state.waiter {
                state.waiter = nil
                return (true, waiter, frames)
            }
            state.queue.append(contentsOf: frames)
            state.queuedBytes += bytes
            return (true, nil, [])
        }
        waiter?.resume(returning: batch)
        return accepted
    }

    /// What is queued, all at once; waits while the queue is empty; `nil` once closed.
    func nextBatch() async -> [ByteBuffer]? {
        await withCheckedContinuation { continuation in
            let ready = self.state.withLock { state -> [ByteBuffer]?? in
                if !state.queue.isEmpty {
                    defer {
                        state.queue.removeAll(keepingCapacity: true)
                        state.queuedBytes = 0
                    }
                    return .some(state.queue)
                }
                if state.closed {
                    return .some(nil)
                }
                state.waiter = continuation
                return .none
            }
            if let ready {
                continuation.resume(returning: ready)
            }
        }
    }

    /// What the queue holds now, for the log line of a dropped member.
    var load: (messages: Int, bytes: Int) {
        self.state.withLock { ($0.queue.count, $0.queuedBytes) }
    }

    /// Ends the writer after what is queued.
    func close() {
        let waiter = self.state.withLock { state in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }
}
