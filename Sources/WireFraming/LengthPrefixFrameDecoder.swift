public import NIOCore

/// Decodes messages that carry a binary unsigned length prefix of 1, 2, 4 or 8 bytes.
///
/// ```
///     +-------------+----------------+
///     | 00 00 00 05 | 68 65 6c 6c 6f |   4-byte big-endian prefix, then "hello"
///     +-------------+----------------+
/// ```
///
/// With a 4-byte prefix, the value `ff ff ff ff` means that an 8-byte length follows, as Python's
/// `multiprocessing.connection` writes for payloads over 2 GiB. A declared length above
/// `maximumMessageSize` throws as soon as the prefix is read, before any of the body is buffered.
public struct LengthPrefixFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// The prefix's size in bytes: 1, 2, 4 or 8.
    public let prefixBytes: Int
    /// The prefix's byte order.
    public let endianness: Framing.Endianness
    /// The largest payload accepted, in bytes.
    public let maximumMessageSize: Int
    private var body = AnnouncedBody()
    /// A 4-byte prefix said `ff ff ff ff`: the real length, 8 bytes, comes next.
    private var awaitsExtendedLength = false

    /// Creates a decoder for prefixes of `prefixBytes` bytes in the given byte order.
    public init(
        prefixBytes: Int = 4,
        endianness: Framing.Endianness = .big,
        maximumMessageSize: Int = MessageDecoder.defaultMaximumMessageSize
    ) {
        precondition([1, 2, 4, 8].contains(prefixBytes), "length prefix must be 1, 2, 4 or 8 bytes")
        precondition(maximumMessageSize >= 0, "maximumMessageSize must not be negative")
        self.prefixBytes = prefixBytes
        self.endianness = endianness
        self.maximumMessageSize = maximumMessageSize
    }

    private var nioEndianness: NIOCore.Endianness {
        self.endianness == .big ? .big : .little
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        if self.body.length == nil && !self.awaitsExtendedLength {
            guard let declared = self.readPrefix(from: &buffer) else {
                return nil
            }
            if self.prefixBytes == 4 && declared == UInt64(UInt32.max) {
                self.awaitsExtendedLength = true
            } else {
                self.body.expect(try self.checked(declared))
            }
        }
        if self.awaitsExtendedLength {
            guard let declared = buffer.readInteger(endianness: self.nioEndianness, as: UInt64.self) else {
                return nil
            }
            self.awaitsExtendedLength = false
            self.body.expect(try self.checked(declared))
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
        if self.awaitsExtendedLength {
            throw FramingError.truncatedMessage(buffered: self.prefixBytes + buffer.readableBytes)
        }
        try self.body.checkEnd(buffered: buffer.readableBytes, headerBytes: self.prefixBytes)
        return nil
    }

    private func readPrefix(from buffer: inout ByteBuffer) -> UInt64? {
        switch self.prefixBytes {
        case 1: return buffer.readInteger(as: UInt8.self).map(UInt64.init)
        case 2: return buffer.readInteger(endianness: self.nioEndianness, as: UInt16.self).map(UInt64.init)
        case 4: return buffer.readInteger(endianness: self.nioEndianness, as: UInt32.self).map(UInt64.init)
        default: return buffer.readInteger(endianness: self.nioEndianness, as: UInt64.self)
        }
    }

    private func checked(_ declared: UInt64) throws -> Int {
        guard declared <= UInt64(self.maximumMessageSize) else {
            throw FramingError.lengthExceedsLimit(declared: declared, limit: self.maximumMessageSize)
        }
        return Int(declared)
    }
}

@available(*, unavailable)
extension LengthPrefixFrameDecoder: Sendable {}
