import Foundation
import Synchronization

/// A server's own lines ("Connection from ... established."), written by a thread of their own so
/// that a standard output nobody reads (a full pipe) never stops the event loops: the lines wait
/// in a bounded queue, and past it they are dropped and counted, never the connections.
final class LogOutput: Sendable {
    static let limit = 10_000

    private struct State {
        var lines: [String] = []
        var dropped = 0
        var writing = false
    }

    private let output: Output
    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)
    private let drained = Atomic<Int>(0)

    init(_ output: Output) {
        self.output = output
        let thread = Thread { [self] in
            while true {
                self.wakeUp.wait()
                let (lines, dropped) = self.state.withLock { state -> ([String], Int) in
                    defer {
                        state.lines.removeAll(keepingCapacity: true)
                        state.dropped = 0
                        state.writing = true
                    }
                    return (state.lines, state.dropped)
                }
                if dropped > 0 {
                    self.output.line("(\(dropped) lines were dropped: standard output was not being read)")
                }
                for line in lines {
                    self.output.line(line)
                }
                self.state.withLock { $0.writing = false }
            }
        }
        thread.start()
    }

    /// Queues `text` and a newline; drops it if the queue is full.
    func line(_ text: String) {
        let queued = self.state.withLock { state -> Bool in
            guard state.lines.count < Self.limit else {
                state.dropped += 1
                return false
            }
            state.lines.append(text)
            return true
        }
        if queued {
            self.wakeUp.signal()
        }
    }

    /// Waits, up to `timeout`, until every queued line has been written: before the program exits.
    func flush(timeout: Duration = .seconds(2)) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let idle = self.state.withLock { $0.lines.isEmpty && !$0.writing && $0.dropped == 0 }
            if idle { return }
            Thread.sleep(forTimeInterval: 0.002)
        }
    }
}
