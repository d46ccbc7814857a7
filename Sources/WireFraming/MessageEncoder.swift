public import NIOCore

/// Frames outgoing messages in any ``Framing``.
///
/// The encoder checks a message before it writes anything: a payload that the framing cannot carry
/// (too long for the header's width or the prefix's size, over the size limit, or a newline or a
/// final carriage return in `lines` framing) throws a ``FramingError`` and leaves the output untouched.
///
/// ```swift
/// let encoder = MessageEncoder(framing: .header())
/// var out = ByteBuffer()
/// try encoder.encode(ByteBuffer(string: "Welcome to the server!"), into: &out)
/// // out: "22        Welcome to the server!"
/// ```
public struct MessageEncoder: Sendable {
    /// The framing this encoder writes.
    public let framing: Framing
    /// The largest payload accepted, in bytes.
    public let maximumMessageSize: Int

    /// Creates an encoder for `framing` that refuses payloads larger than `maximumMessageSize` bytes.
    public init(framing: Framing, maximumMessageSize: Int = MessageDecoder.defaultMaximumMessageSize) {
        precondition(maximumMessageSize >= 0, "maximumMessageSize must not be negative")
        self.framing = framing
        self.maximumMessageSize = maximumMessageSize
    }

    /// The number of bytes the framing adds to a payload of `length` bytes.
    public func overhead(forLength length: Int) -> Int {
        switch self.framing.kind {
        case .header(let width): return width
        case .length(let bytes, _): return bytes == 4 && length > Int(Int32.max) ? 12 : bytes
        case .lines: return 1
        case .raw: return 0
        }
    }

    /// Appends `payload`, framed, to `out`.
    public func encode(_ payload: ByteBuffer, into out: inout ByteBuffer) throws {
        try self.validate(payload)
        out.reserveCapacity(
            minimumWritableBytes: payload.readableBytes + self.overhead(forLength: payload.readableBytes)
        )
        self.writePrefix(length: payload.readableBytes, into: &out)
        out.writeImmutableBuffer(payload)
        self.writeSuffix(into: &out)
    }

    /// Checks that `payload` can be framed, without writing anything.
    public func validate(_ payload: ByteBuffer) throws {
        let length = payload.readableBytes
        guard length <= self.maximumMessageSize else {
            throw FramingError.messageTooLarge(length: length, limit: self.maximumMessageSize)
        }
        switch self.framing.kind {
        case .header(let width):
            guard Self.decimalDigits(length) <= width else {
                throw FramingError.messageTooLongForHeader(length: length, width: width)
            }
        case .length(let bytes, _):
            let fits: Bool
            switch bytes {
            case 1: fits = length <= Int(UInt8.max)
            case 2: fits = length <= Int(UInt16.max)
            default: fits = true
            }
            guard fits else {
                throw FramingError.messageTooLongForPrefix(length: length, bytes: bytes)
            }
        case .lines:
            if payload.readableBytesView.contains(UInt8(ascii: "\n")) {
                throw FramingError.messageContainsNewline
            }
            if payload.readableBytesView.last == UInt8(ascii: "\r") {
                throw FramingError.messageEndsWithCarriageReturn
            }
        case .raw:
            break
        }
    }

    /// Writes the bytes that go before a payload of `length` bytes; call ``validate(_:)`` first.
    public func writePrefix(length: Int, into out: inout ByteBuffer) {
        switch self.framing.kind {
        case .header(let width):
            // One write: the digits, left-aligned, then spaces up to the width.
            let digits = Self.decimalDigits(length)
            out.writeWithUnsafeMutableBytes(minimumWritableBytes: width) { pointer in
                var rest = length
                for index in stride(from: digits - 1, through: 0, by: -1) {
                    pointer[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                    rest /= 10
                }
                for index in digits..<width {
                    pointer[index] = UInt8(ascii: " ")
                }
                return width
            }
        case .length(let bytes, let endianness):
            let order: NIOCore.Endianness = endianness == .big ? .big : .little
            switch bytes {
            case 1:
                out.writeInteger(UInt8(truncatingIfNeeded: length))
            case 2:
                out.writeInteger(UInt16(truncatingIfNeeded: length), endianness: order)
            case 4 where length > Int(Int32.max):
                // Python's multiprocessing.connection: -1, then the real length in 8 bytes.
                out.writeInteger(UInt32.max, endianness: order)
                out.writeInteger(UInt64(length), endianness: order)
            case 4:
                out.writeInteger(UInt32(truncatingIfNeeded: length), endianness: order)
            default:
                out.writeInteger(UInt64(length), endianness: order)
            }
        case .lines, .raw:
            break
        }
    }

    /// Writes the bytes that go after a payload.
    public func writeSuffix(into out: inout ByteBuffer) {
        if case .lines = self.framing.kind {
            out.writeInteger(UInt8(ascii: "\n"))
        }
    }

    static func decimalDigits(_ value: Int) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return digits
    }

}
