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
            } catch {
                throw IncomingMessages.error(
                    error,
                    peer: self.peer,
                    beforeAnyMessage: self.usesTLS && !self.receivedAny
                )
            }
        }

        /// Hands the rest of the messages over to a consumer on the connection's event loop,
        /// which needs no task: what this iterator took of a burst and has not handed out yet,
        /// and the poller of the rest.
        package func handOff() -> (unconsumed: [ByteBuffer], rest: MessagePoller) {
            let unconsumed = self.position < self.batch.count ? self.unconsumed : []
            return (unconsumed, MessagePoller(base: self.base, peer: self.peer))
        }
    }

    /// What an error that ended the messages means for the reader: a reset peer is
    /// ``ConnectionError/reset(peer:)`` (or, on TLS before any message, a peer that does not
    /// speak it); a broken framing stays the `FramingError` it is.
    static func error(_ error: any Error, peer: String, beforeAnyMessage: Bool) -> any Error {
        guard let error = error as? IOError, SystemError.isPeerGone(error) else { return error }
        if beforeAnyMessage {
            // A peer that does not speak TLS takes the handshake for a broken message.
            return ConnectionError.tlsHandshake(
                peer: peer,
                reason: "the connection was reset during the handshake (does it speak TLS?)"
            )
        }
        return ConnectionError.reset(peer: peer)
    }
}

/// A connection's messages for a consumer that runs on its event loop instead of in a task (a
/// chat member, once it is in the room: a quiet member then costs no task).
package struct MessagePoller: Sendable {
    let base: InboundQueue
    let peer: String

    /// The messages `base` hands over, from a connection to `peer` (in errors).
    package init(base: InboundQueue, peer: String) {
        self.base = base
        self.peer = peer
    }

    /// What ``poll(orWhenReady:)`` found.
    package enum Poll {
        /// The next burst of messages, in order.
        case messages([ByteBuffer])
        /// The end: clean with `nil`, or the error that ended the messages (as ``IncomingMessages`` throws it).
        case end((any Error)?)
        /// Nothing yet: `ready` is called once, on the event loop, when something comes.
        case empty
    }

    /// The next burst or the end; when nothing waits, keeps `ready` and calls it once when the
    /// next burst or the end comes. Runs on the connection's event loop.
    package func poll(orWhenReady ready: @escaping @Sendable () -> Void) -> Poll {
        switch self.base.poll(orWhenReady: ready) {
        case .batch(let batch): .messages(batch)
        case .end(.success): .end(nil)
        case .end(.failure(let error)): .end(IncomingMessages.error(error, peer: self.peer, beforeAnyMessage: false))
        case .empty: .empty
        }
    }
}

@available(*, unavailable)
extension IncomingMessages.AsyncIterator: Sendable {}
