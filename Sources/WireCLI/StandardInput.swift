import Dispatch
import Foundation

/// The lines of standard input, read on a thread of their own so that a terminal waiting for input
/// never blocks the event loops. At most `window` lines are read ahead of the consumer, so piping
/// a large file in never buffers it whole.
struct StandardInputLines: AsyncSequence, Sendable {
    typealias Element = String

    private let stream: AsyncStream<String>
    private let credits: DispatchSemaphore

    init(window: Int = 256) {
        // Created at 0 and then signalled: libdispatch traps when a semaphore is disposed of with a
        // value below the one it was created with, which a reader thread stopped mid-window would do.
        let credits = DispatchSemaphore(value: 0)
        for _ in 0..<window {
            credits.signal()
        }
        self.credits = credits
        self.stream = AsyncStream(bufferingPolicy: .unbounded) { continuation in
            let thread = Thread {
                while true {
                    credits.wait()
                    guard let line = readLine(strippingNewline: true) else { break }
                    if case .terminated = continuation.yield(line) { return }
                }
                continuation.finish()
            }
            thread.start()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.stream.makeAsyncIterator(), credits: self.credits)
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<String>.AsyncIterator
        let credits: DispatchSemaphore

        mutating func next() async -> String? {
            let line = await self.base.next()
            if line != nil {
                self.credits.signal()
            }
            return line
        }
    }
}
