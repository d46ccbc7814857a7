public import Foundation
import Synchronization

/// Collects what a child process writes to one pipe, on a thread of its own, and wakes the tasks
/// that wait for a given text: nothing here blocks one of Swift's cooperative threads.
public final class PipeCollector: Sendable {
    private struct Waiter {
        let id: UInt64
        /// `nil` for a waiter that waits for the close only (the bytes are not decoded for it).
        let isSatisfied: (@Sendable (String) -> Bool)?
        let continuation: CheckedContinuation<String?, Never>
    }

    private struct State {
        var bytes: [UInt8] = []
        var isClosed = false
        var waiters: [Waiter] = []
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            while true {
                let data = handle.availableData  // blocking-ok: a thread of its own
                if data.isEmpty { break }
                self.append(data)
            }
            self.finish()
        }
        thread.start()
    }

    /// Everything read so far, as UTF-8 text.
    public var text: String {
        self.state.withLock { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// Everything read so far.
    public var data: [UInt8] {
        self.state.withLock { $0.bytes }
    }

    /// Whether the writing end is closed and everything was read.
    public var isClosed: Bool {
        self.state.withLock { $0.isClosed }
    }

    /// Waits until the text read so far satisfies `isSatisfied` and returns it, or returns `nil`
    /// if the pipe closes first (or the task is cancelled).
    public func text(where isSatisfied: @escaping @Sendable (String) -> Bool) async -> String? {
        await self.wait(for: isSatisfied)
    }

    /// Waits until the pipe is closed; returns everything read.
    public func closed() async -> [UInt8] {
        _ = await self.wait(for: nil)
        return self.data
    }

    private func wait(for isSatisfied: (@Sendable (String) -> Bool)?) async -> String? {
        let id = self.state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                let answer = self.state.withLock { state -> String?? in
                    if let isSatisfied {
                        let text = String(decoding: state.bytes, as: UTF8.self)
                        if isSatisfied(text) { return .some(text) }
                    }
                    if state.isClosed || Task.isCancelled { return .some(nil) }
                    state.waiters.append(Waiter(id: id, isSatisfied: isSatisfied, continuation: continuation))
                    return .none
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            let waiter = self.state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(returning: nil)
        }
    }

    private func append(_ data: Data) {
        let ready = self.state.withLock { state -> [(Waiter, String)] in
            state.bytes.append(contentsOf: data)
            // Decoded only for a waiter that looks at the text: binary output decodes slowly.
            guard state.waiters.contains(where: { $0.isSatisfied != nil }) else { return [] }
            let text = String(decoding: state.bytes, as: UTF8.self)
            var ready: [(Waiter, String)] = []
            state.waiters.removeAll { waiter in
                guard let isSatisfied = waiter.isSatisfied, isSatisfied(text) else { return false }
                ready.append((waiter, text))
                return true
            }
            return ready
        }
        for (waiter, text) in ready {
            waiter.continuation.resume(returning: text)
        }
    }

    private func finish() {
        let waiters = self.state.withLock { state -> [Waiter] in
            state.isClosed = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters {
            waiter.continuation.resume(returning: nil)
        }
    }
}
