import CoreMetrics
import NIOCore
import Synchronization
@_spi(Broadcast) import Wire

/// Members that stop reading: the stall watch (and the load it samples for metrics), and waiting
/// until what was queued for a member has reached its socket, or closing it when it does not.
extension ChatRoom {
    /// Checks for stalled members every so often on `loop`, until the task is cancelled.
    func watchForStalls(on loop: any EventLoop) -> RepeatedTask {
        let interval = TimeAmount.nanoseconds(max(10_000_000, min(500_000_000, self.stallTimeout.nanoseconds / 10)))
        return loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            self.tick()
        }
    }

    func tick(now: NIODeadline = .now()) {
        let load = self.withWork { state, work in
            self.apply(state.machine.tick(now: now), payload: nil, to: &state, work: &work)
            return state.machine.members.load
        }
        self.metrics.slowestQueuedBytes.set(load.slowestPendingBytes)
        self.metrics.heldSenders.set(load.waitingSenders)
    }

    /// Waits until everything queued for `connection` so far has been taken by its socket, or
    /// `timeout` has passed: the last records of a member that is leaving.
    func flush(_ connection: any ChatMemberSink, within timeout: TimeAmount) async {
        do {
            try await self.flushed(connection, within: timeout).get()
        } catch {
            // The connection closed first (or was closed after `timeout`): nothing more to wait for.
        }
    }

    /// Completes once everything queued for `connection` so far has been taken by its socket
    /// (fails if the connection closed first, or was closed after `timeout`).
    func flushed(_ connection: any ChatMemberSink, within timeout: TimeAmount) -> EventLoopFuture<Void> {
        self.state.withLock { _ in
            // Under the lock, so that this runs after every drain already submitted for the member.
            Self.afterWrites(connection, within: timeout, close: false)
        }
    }

    /// Closes `connection` once what is queued for it so far is written, or after `timeout`.
    static func closeAfterWrites(_ connection: any ChatMemberSink, within timeout: TimeAmount) {
        _ = Self.afterWrites(connection, within: timeout, close: true)
    }

    /// Completes once everything queued for `connection` has reached its socket; closes the
    /// connection first if it takes nothing for `timeout`, or has not taken everything after ten
    /// times that (a member that is still reading gets the time it needs within reason, one that
    /// has stopped does not hold the room's memory or its place).
    static func afterWrites(
        _ connection: any ChatMemberSink,
        within timeout: TimeAmount,
        close: Bool
    ) -> EventLoopFuture<Void> {
        let loop = connection.eventLoop
        let written = loop.makePromise(of: Void.self)
        loop.execute {
            // An empty write completes once everything before it has reached the socket.
            connection.writeFramed(ByteBuffer(), promise: written)
            connection.flushFramed()
            // Closing fails the empty write, if it is still waiting, and so ends the wait.
            let deadline = NIOLoopBoundBox<Scheduled<Void>?>(nil, eventLoop: loop)
            let giveUp = NIODeadline.now() + timeout * 10
            @Sendable func closeUnlessTaking(since unsent: Int) {
                deadline.value = loop.scheduleTask(in: timeout) {
                    let now = connection.unsentBytes
                    if now < unsent && NIODeadline.now() < giveUp {
                        closeUnlessTaking(since: now)
                    } else {
                        connection.close()
                    }
                }
            }
            closeUnlessTaking(since: connection.unsentBytes)
            written.futureResult.whenComplete { _ in
                deadline.value?.cancel()
                if close { connection.close() }
            }
        }
        return written.futureResult
    }
}
