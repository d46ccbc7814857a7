public import NIOCore

/// Decodes `\n`-terminated lines; a `\r` before the `\n` is dropped.
///
/// ```
///     +----+-------+------------+
///     | AB | C\nDE | F\r\nGHI\n |
///     +----+-------+------------+
///     becomes  "ABC"  "DEF"  "GHI"
/// ```
///
/// A line longer than `maximumMessageSize` throws as soon as that many bytes are buffered without a
/// newline. An unterminated last line is delivered when the peer closes, as line-oriented tools
/// such as netcat expect. Each buffered byte is scanned once, however the stream is split.
public struct LineFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// The longest line accepted, in bytes, not counting its terminator.
    public let maximumMessageSize: Int
    /// How many readable bytes were already scanned for a newline, relative to the reader index.
    private var scannedBytes = 0

    /// Creates a line decoder.
    public init(maximumMessageSize: Int = MessageDecoder.defaultMaximumMessageSize) {
        precondition(maximumMessageSize >= 0, "maximumMessageSize must not be negative")
        self.maximumMessageSize = maximumMessageSize
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        let view = buffer.readableBytesView
        guard let newline = view[(view.startIndex + self.scannedBytes)...].firstIndex(of: UInt8(ascii: "\n")) else {
            self.scannedBytes = view.count
            // One byte of slack for a "\r" that would be dropped.
            if view.count > self.maximumMessageSize + 1 {
                throw FramingError.lineExceedsLimit(buffered: view.count, limit: self.maximumMessageSize)
            }
            return nil
        }
        self.scannedBytes = 0
        let lineLength = newline - view.startIndex
        let line = try self.trimmed(buffer.readSlice(length: lineLength))
        buffer.moveReaderIndex(forwardBy: 1)
        return line
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        if let line = try self.decode(buffer: &buffer) {
            return line
        }
        guard buffer.readableBytes > 0 else {
            return nil
        }
        self.scannedBytes = 0
        return try self.trimmed(buffer.readSlice(length: buffer.readableBytes))
    }

    private func trimmed(_ slice: ByteBuffer?) throws -> ByteBuffer {
        guard var line = slice else {
            // Unreachable: the caller only asks for bytes it has seen in the buffer.
            throw FramingError.truncatedMessage(buffered: 0)
        }
        if line.readableBytesView.last == UInt8(ascii: "\r") {
            line.moveWriterIndex(to: line.writerIndex - 1)
        }
        guard line.readableBytes <= self.maximumMessageSize else {
            throw FramingError.lineExceedsLimit(buffered: line.readableBytes, limit: self.maximumMessageSize)
        }
        return line
    }
}

@available(*, unavailable)
extension LineFrameDecoder: Sendable {}
