import NIOCore

/// Runs a task's jobs on one NIO event loop.
///
/// A connection handler that prefers its channel's event loop wakes up on the thread that just
/// read its messages, and its sends reach the channel without crossing threads: no hop between
/// the event loop and Swift's global executor on every burst, in either direction.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
