public import NIOCore

/// One message read from a stream.
public struct JetStreamMessage: Sendable, Hashable {
    /// The subject it was published to.
    public var subject: String
    /// Its place in the stream: 1, 2, 3... in the order the stream stored them.
    public var streamSequence: UInt64
    /// Messages of the stream (matching the filter) after this one, when it was sent.
    public var pending: UInt64
    /// When the stream stored it, in nanoseconds since 1970.
    public var timestamp: Int64
    public var headers: NATSHeaders?
    public var payload: ByteBuffer
}
