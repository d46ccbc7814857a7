public import NIOCore

/// Decodes the tutorial's fixed-width ASCII decimal length header.
///
/// Each message is a header of `width` bytes holding the payload's length in decimal, left-aligned
/// and padded with spaces (`f"{N:<10}"` in Python), followed by that many bytes of payload. Like the
/// tutorial's `int(header.strip())`, right-aligned headers are accepted too; anything else throws.
///
/// ```
///     +------------+------------------------+------------+--------+
///     | "22      " | "  Welcome to the serv" | "er!0     " | "    " |
///     +------------+------------------------+------------+--------+
///     becomes  "Welcome to the server!"  and  ""  (a zero-length message)
/// ```
///
/// A declared length above `maximumMessageSize` throws as soon as the header is read, before any of
/// the body is buffered.
public struct HeaderFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// The header's width in bytes.
    public let width: Int
    /// The largest payload accepted, in bytes.
    public let maximumMessageSize: Int
    private var body = AnnouncedBody()

    /// Creates a decoder for headers of `width` bytes (1 to 19).
    public init(width: Int = 10, maximumMessageSize: Int = MessageDecoder.defaultMaximumMessageSize) {
        precondition((1...19).contains(width), "header width must be between 1 and 19, got \(width)")
        precondition(maximumMessageSize >= 0, "maximumMessageSize must not be negative")
        self.width = width
        self.maximumMessageSize = maximumMessageSize
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        if self.body.length == nil {
            guard buffer.readableBytes >= self.width else {
                return nil
            }
            // Parsed where it lies: no slice, so no reference count and no copy per header.
            let parsed = buffer.withUnsafeReadableBytes {
                Self.parse(UnsafeRawBufferPointer(rebasing: $0.prefix(self.width)))
            }
            guard let declared = parsed else {
                throw FramingError.invalidHeader(
                    buffer.getSlice(at: buffer.readerIndex, length: self.width) ?? ByteBuffer()
                )
            }
            guard declared <= UInt64(self.maximumMessageSize) else {
                throw FramingError.lengthExceedsLimit(declared: declared, limit: self.maximumMessageSize)
            }
            let length = Int(declared)
            buffer.moveReaderIndex(forwardBy: self.width)
            self.body.expect(length)
        }
        return self.body.read(from: &buffer)
    }

    /// The length of the message being received, once its header has been read; `nil` between
    /// messages. A caller that buffers input can reserve room for the whole body at once.
    public var awaitedBodyLength: Int? {
        self.body.length
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        if let message = try self.decode(buffer: &buffer) {
            return message
        }
        try self.body.checkEnd(buffered: buffer.readableBytes, headerBytes: self.width)
        return nil
    }

    /// Parses optional spaces, decimal digits, optional spaces; `nil` for anything else.
    private static func parse(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        var seenTrailingSpace = false
        for byte in bytes {
            if byte == UInt8(ascii: " ") {
                if digits > 0 { seenTrailingSpace = true }
            } else if byte &- UInt8(ascii: "0") < 10 && !seenTrailingSpace {
                // At most 19 digits, so this never overflows a UInt64.
                value = value &* 10 &+ UInt64(byte &- UInt8(ascii: "0"))
                digits += 1
            } else {
                return nil
            }
        }
        return digits > 0 ? value : nil
    }
}

@available(*, unavailable)
extension HeaderFrameDecoder: Sendable {}
