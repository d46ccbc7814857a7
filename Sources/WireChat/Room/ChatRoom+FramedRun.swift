import NIOCore

extension ChatRoom {
    /// One member's framed bytes in a drain. Small pieces (a text or a burst from each sender)
    /// are copied into one buffer, so that a run of texts from many senders passes the pipeline
    /// as one write; large ones go as they are, never copied.
    struct FramedRun {
        static let copyLimit = 1024
        /// A lone piece, or the buffer small pieces were copied into (`owned`).
        var pending: ByteBuffer?
        var owned = false

        /// Writes `piece` after what is pending, or keeps it pending; with a promise, writes
        /// everything pending, so that the promise covers it.
        mutating func write(_ piece: ByteBuffer, promise: EventLoopPromise<Void>?, to connection: any ChatMemberSink) {
            guard piece.readableBytes <= Self.copyLimit else {
                self.finish(to: connection)
                connection.writeFramed(piece, promise: promise)
                return
            }
            if var buffer = self.pending {
                self.pending = nil
                if !self.owned {
                    var copy = ByteBufferAllocator().buffer(
                        capacity: max(4096, buffer.readableBytes + piece.readableBytes)
                    )
                    copy.writeImmutableBuffer(buffer)
                    buffer = copy
                    self.owned = true
                }
                buffer.writeImmutableBuffer(piece)
                self.pending = buffer
            } else {
                self.pending = piece
                self.owned = false
            }
            if let promise {
                self.finish(to: connection, promise: promise)
            }
        }

        /// Writes what is pending.
        mutating func finish(to connection: any ChatMemberSink, promise: EventLoopPromise<Void>? = nil) {
            guard let buffer = self.pending else { return }
            self.pending = nil
            self.owned = false
            connection.writeFramed(buffer, promise: promise)
        }
    }
}
