public import NIOCore

/// Passes bytes through with no framing.
///
/// In ``Framing/RawMode/chunks`` mode every read is one message, as the tutorial's `recv(8)` loop
/// sees them (`"Hey ther"`, then `"e!!!"`); a chunk larger than `maximumMessageSize` is split. In
/// ``Framing/RawMode/wholeStream`` mode the whole stream up to the peer's close is one message, and
/// a stream that grows past `maximumMessageSize` throws.
public struct RawFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// Whether each read or the whole stream is a message.
    public let mode: Framing.RawMode
    /// The largest message delivered, in bytes.
    public let maximumMessageSize: Int

    /// Creates a raw decoder.
    public init(mode: Framing.RawMode = .chunks, maximumMessageSize: Int = MessageDecoder.defaultMaximumMessageSize) {
        precondition(maximumMessageSize > 0, "maximumMessageSize must be positive for raw framing")
        self.mode = mode
        self.maximumMessageSize = maximumMessageSize
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        switch self.mode {
        case .chunks:
            guard buffer.readableBytes > 0 else { return nil }
            return buffer.readSlice(length: min(buffer.readableBytes, self.maximumMessageSize))
        case .wholeStream:
            if buffer.readableBytes > self.maximumMessageSize {
                throw FramingError.streamExceedsLimit(buffered: buffer.readableBytes, limit: self.maximumMessageSize)
            }
            return nil
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        switch self.mode {
        case .chunks:
            return try self.decode(buffer: &buffer)
        case .wholeStream:
            _ = try self.decode(buffer: &buffer)
            guard buffer.readableBytes > 0 else { return nil }
            return buffer.readSlice(length: buffer.readableBytes)
        }
    }
}

@available(*, unavailable)
extension RawFrameDecoder: Sendable {}
