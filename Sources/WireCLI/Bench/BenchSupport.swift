import Foundation
import Synchronization

/// A progress line on standard error, redrawn twice a second while a benchmark runs.
final class Progress: Sendable {
    private let done = Atomic<Int>(0)
    private let state = Mutex<(label: String, total: Int, task: Task<Void, Never>?)>(("", 0, nil))
    private let enabled: Bool

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func start(label: String, total: Int) {
        guard self.enabled else { return }
        let task = Task { [self] in
            while !Task.isCancelled {
                // Cancelled when the benchmark ends: the loop then stops.
                try? await Task.sleep(for: .milliseconds(500))
                let (label, total) = self.state.withLock { ($0.label, $0.total) }
                let done = min(self.done.load(ordering: .relaxed), total)
                FileHandle.standardError.write(Data("\r\(label): \(done)/\(total)   ".utf8))
            }
        }
        self.state.withLock { $0 = (label, total, task) }
    }

    func add(_ count: Int) {
        self.done.add(count, ordering: .relaxed)
    }

    func stop() {
        guard let task = self.state.withLock({ $0.task }) else { return }
        task.cancel()
        FileHandle.standardError.write(Data("\r\u{1b}[K".utf8))
    }
}

/// Waits until `count` arrivals.
final class Countdown: Sendable {
    private let state: Mutex<(remaining: Int, waiters: [CheckedContinuation<Void, Never>])>

    init(_ count: Int) {
        self.state = Mutex((count, []))
    }

    func arrive() {
        let waiters = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.remaining -= 1
            guard state.remaining <= 0 else { return [] }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let ready = self.state.withLock { state -> Bool in
                if state.remaining <= 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

/// Lets every waiter go once opened.
final class ReleaseSignal: Sendable {
    private let gate = Countdown(1)

    func open() { self.gate.arrive() }
    func wait() async { await self.gate.wait() }
}
