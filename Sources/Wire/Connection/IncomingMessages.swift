public import NIOCore
import WireFraming

/// The messages a peer sends on a ``WireConnection``, in order.
public struct IncomingMessages: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    let base: InboundQueue
    let peer: String
    var usesTLS = false

    /// The iterator; a connection's messages are meant to be read by one iterator only.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base, peer: self.peer, usesTLS: self.usesTLS)
    }

    /// Produces the peer's messages; errors are translated to `FramingError` or ``ConnectionError``.
    ///
    /// Messages arrive in batches, one per read burst: only the first message of a batch waits for
    /// the connection, the others are taken from the batch at once.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let base: InboundQueue
        let peer: String
        let usesTLS: Bool
        var batch: [ByteBuffer] = []
        var position = 0
        var receivedAny = false

        init(base: InboundQueue, peer: String, usesTLS: Bool) {
            self.base = base
            self.peer = peer
            self.usesTLS = usesTLS
        }

        public mutating func next() async throws -> ByteBuffer? {
            if self.position == self.batch.count {
                // Let go of the consumed batch before waiting, so an idle connection holds none of it.
                self.batch = []
                self.position = 0
                repeat {
                    guard let batch = try await self.fetchBatch() else {
                        return nil
                    }
                    self.batch = batch
                } while self.batch.isEmpty
            }
            defer { self.position += 1 }
            return self.batch[self.position]
        }

        /// The messages of the next read burst, all at once (or what is left of the current one
        /// after ``next()``); `nil` at the end of the stream. For consumers that handle messages in
        /// bulk, such as a broadcast that frames a whole burst once.
        public mutating func nextBatch() async throws -> [ByteBuffer]? {
            if self.position < self.batch.count {
                defer {
                    self.batch = []
                    self.position = 0
                }
                return self.position == 0 ? self.batch : self.unconsumed
            }
            self.batch = []
            self.position = 0
            while let batch = try await self.fetchBatch() {
                if !batch.isEmpty { return batch }
            }
            return nil
        }

        /// The messages of the current batch not handed out yet.
        var unconsumed: [ByteBuffer] {
            Array(self.batch[self.position...])
        }

        private mutating func fetchBatch() async throws -> [ByteBuffer]? {
            do {
                let batch = try await self.base.next()
                self.receivedAny = true
                return batch
            } catch let error as FramingError {
                throw error
            } catch let error as IOError where SystemError.isPeerGone(error) {
                if self.usesTLS && !self.receivedAny {
                    // A peer that does not speak TLS takes the handshake for a broken message.
                    throw ConnectionError.tlsHandshake(
                        peer: self.peer,
                        reason: "the connection was reset during the handshake (does it speak TLS?)"
                    )
                }
                throw ConnectionError.reset(peer: self.peer)
            }
        }
    }
}

@available(*, unavailable)
extension IncomingMessages.AsyncIterator: Sendable {}
