import NIOCore
import Synchronization
@_spi(Broadcast) import Wire

/// A loop's outbox written to its members' sockets: each member's queue in as few writes as it
/// takes, one flush per member, and what the sockets took told to the room once per drain.
extension ChatRoom {
    /// Writes everything queued for the members of `loop`, and flushes each member once.
    func drain(_ loop: any EventLoop) {
        let key = ObjectIdentifier(loop)
        let queues = self.state.withLock { state -> [MemberID: (link: Link, buffers: [Outgoing])] in
            guard let outbox = state.outboxes.removeValue(forKey: key) else { return [:] }
            state.outboxes[key] = Outbox()
            return outbox.queues
        }
        // What the sockets take during this drain is told to the room once, after it.
        let acknowledged = NIOLoopBoundBox(Acknowledged(), eventLoop: loop)
        for (id, queue) in queues {
            self.write(queue.buffers, to: id, link: queue.link, on: loop, batch: acknowledged)
        }
        acknowledged.value.collecting = false
        let written = acknowledged.value.written
        if !written.isEmpty {
            let now = NIODeadline.now()
            self.act { machine in written.flatMap { machine.written($0.id, bytes: $0.bytes, now: now) } }
        }
    }

    /// Writes one member's queue and flushes it.
    private func write(
        _ buffers: [Outgoing],
        to id: MemberID,
        link: Link,
        on loop: any EventLoop,
        batch acknowledged: NIOLoopBoundBox<Acknowledged>
    ) {
        let connection = link.connection
        var unacknowledged = 0
        var run = FramedRun()
        for (index, outgoing) in buffers.enumerated() {
            switch outgoing {
            case .framed(let buffer):
                // The last of a run of framed bytes is acknowledged, whatever its size.
                let endsRun: Bool
                if index == buffers.count - 1 {
                    endsRun = true
                } else if case .framed = buffers[index + 1] {
                    endsRun = false
                } else {
                    endsRun = true
                }
                var rest = buffer
                while rest.readableBytes > 0 {
                    let length = min(rest.readableBytes, Self.progressChunk - unacknowledged)
                    // A slice shares the buffer's storage: nothing is copied.
                    guard let slice = rest.readSlice(length: length) else { break }
                    unacknowledged += length
                    if unacknowledged >= Self.progressChunk || (endsRun && rest.readableBytes == 0) {
                        run.write(
                            slice,
                            promise: self.acknowledgement(id, bytes: unacknowledged, on: loop, batch: acknowledged),
                            to: connection
                        )
                        unacknowledged = 0
                    } else {
                        run.write(slice, promise: nil, to: connection)
                    }
                }
            case .records(let records):
                run.finish(to: connection)
                guard let sink = link.recordSink else { continue }
                // In slices of about progressChunk (counted as the room counts them), each
                // acknowledged on its own.
                var start = records.startIndex
                var accounted = 0
                for index in records.indices {
                    accounted += records[index].accounted
                    if accounted >= Self.progressChunk || index == records.count - 1 {
                        let promise =
                            accounted > 0
                            ? self.acknowledgement(id, bytes: accounted, on: loop, batch: acknowledged) : nil
                        sink.writeRecords(records[start...index], promise: promise)
                        start = index + 1
                        accounted = 0
                    }
                }
            }
        }
        run.finish(to: connection)
        connection.flushFramed()
    }

    /// What members' sockets took while a drain wrote, told to the room in one go after it.
    struct Acknowledged {
        var collecting = true
        var written: [(id: MemberID, bytes: Int)] = []
    }

    /// A promise that tells the room, once it completes, that the member's socket took `bytes`.
    /// Taken during the drain that wrote them, they join `batch`.
    private func acknowledgement(
        _ id: MemberID,
        bytes: Int,
        on loop: any EventLoop,
        batch: NIOLoopBoundBox<Acknowledged>
    ) -> EventLoopPromise<Void> {
        let promise = loop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in
            if batch.value.collecting {
                batch.value.written.append((id, bytes))
            } else {
                self.written(id, bytes: bytes)
            }
        }
        return promise
    }

    /// A member's socket took `bytes` (or its connection failed, and they never will be).
    func written(_ id: MemberID, bytes: Int) {
        let now = NIODeadline.now()
        self.act { $0.written(id, bytes: bytes, now: now) }
    }
}
