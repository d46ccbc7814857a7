import Synchronization
import Testing

@testable import Wire

/// The one waiter type, without I/O: a level that tasks wait for under a lock.
struct WaitersTests {
    struct State {
        var level = 0
        /// Tasks waiting until `level` reaches their condition.
        var waiters = Waiters<Int, Int>()

        mutating func raise(to level: Int) -> [Waiters<Int, Int>.Resumption] {
            self.level = level
            return self.waiters.take { wanted in level >= wanted ? .success(level) : nil }
        }
    }

    final class Box: Sendable {
        let state = Mutex(State())

        func wait(until wanted: Int) async throws -> Int {
            try await self.state.wait(in: \.waiters, for: wanted) { state in
                state.level >= wanted ? .success(state.level) : nil
            }
        }

        var waiting: Int { self.state.withLock { $0.waiters.count } }

        func raise(to level: Int) {
            for waiter in self.state.withLock({ $0.raise(to: level) }) { waiter.resume() }
        }
    }

    /// Yields until `condition` holds: waiting for an event, not for a time.
    static func until(_ condition: () -> Bool) async {
        while !condition() { await Task.yield() }
    }

    @Test func goesOnAtOnceWhenReadyAndOtherwiseWhenTaken() async throws {
        let box = Box()
        box.raise(to: 5)
        #expect(try await box.wait(until: 3) == 5)
        let low = Task { try await box.wait(until: 7) }
        let high = Task { try await box.wait(until: 9) }
        await Self.until { box.waiting == 2 }
        box.raise(to: 8)
        #expect(try await low.value == 8)
        #expect(box.waiting == 1, "the task waiting for 9 still waits")
        box.raise(to: 9)
        #expect(try await high.value == 9)
        #expect(box.waiting == 0)
    }

    @Test func aTaskCancelledWhileItWaitsThrowsAndLeavesNothingBehind() async throws {
        let box = Box()
        let waiting = Task { try await box.wait(until: 1) }
        await Self.until { box.waiting == 1 }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(box.waiting == 0)
    }

    @Test func aTaskCancelledBeforeItWaitsDoesNotWaitForever() async throws {
        let box = Box()
        let waiting = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await box.wait(until: 1)
        }
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(box.waiting == 0)
    }

    @Test func takeAllEndsEveryWaiterWithTheSameResult() async throws {
        struct Closed: Error {}
        let box = Box()
        let tasks = (1...3).map { wanted in Task { try await box.wait(until: wanted * 10) } }
        await Self.until { box.waiting == 3 }
        #expect(box.state.withLock { $0.waiters.firstCondition } != nil)
        for waiter in box.state.withLock({ $0.waiters.takeAll(.failure(Closed())) }) { waiter.resume() }
        for task in tasks {
            await #expect(throws: Closed.self) { try await task.value }
        }
        #expect(box.waiting == 0)
    }
}
