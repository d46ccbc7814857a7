#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
public import NIOCore
import WireFraming

/// The messages a peer sends on a ``WireConnection``, in order.
public struct IncomingMessages: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    let base: NIOAsyncChannelInboundStream<ByteBuffer>
    let peer: String

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), peer: self.peer)
    }

    /// Produces the peer's messages; errors are translated to ``FramingError`` or ``ConnectionError``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let peer: String

        public mutating func next() async throws -> ByteBuffer? {
            do {
                return try await self.base.next()
            } catch let error as FramingError {
                throw error
            } catch let error as IOError where error.errnoCode == ECONNRESET || error.errnoCode == EPIPE {
                throw ConnectionError.reset(peer: self.peer)
            }
        }
    }
}

@available(*, unavailable)
extension IncomingMessages.AsyncIterator: Sendable {}
