public import NIOCore

/// Decodes messages in any ``Framing``; a thin switch over the framing's own decoder.
///
/// Use it in a channel pipeline with `ByteToMessageHandler(MessageDecoder(...))`, on an
/// `AsyncSequence` of `ByteBuffer`s with `decode(using:)`, or drive it directly in tests.
///
/// ```swift
/// var decoder = MessageDecoder(framing: .header(), maximumMessageSize: 1 << 20)
/// var input = ByteBuffer(string: "22        Welcome to the server!")
/// let message = try decoder.decode(buffer: &input)   // "Welcome to the server!"
/// ```
public struct MessageDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// 16 MiB: the default largest message, in every framing.
    public static let defaultMaximumMessageSize = 16 * 1024 * 1024

    private enum Base {
        case header(HeaderFrameDecoder)
        case length(LengthPrefixFrameDecoder)
        case lines(LineFrameDecoder)
        case raw(RawFrameDecoder)
    }

    /// The framing this decoder reads.
    public let framing: Framing
    private var base: Base

    /// Creates a decoder for `framing` that rejects messages larger than `maximumMessageSize` bytes.
    public init(framing: Framing, maximumMessageSize: Int = MessageDecoder.defaultMaximumMessageSize) {
        self.framing = framing
        switch framing.kind {
        case .header(let width):
            self.base = .header(HeaderFrameDecoder(width: width, maximumMessageSize: maximumMessageSize))
        case .length(let bytes, let endianness):
            self.base = .length(
                LengthPrefixFrameDecoder(
                    prefixBytes: bytes,
                    endianness: endianness,
                    maximumMessageSize: maximumMessageSize
                )
            )
        case .lines:
            self.base = .lines(LineFrameDecoder(maximumMessageSize: maximumMessageSize))
        case .raw(let mode):
            self.base = .raw(RawFrameDecoder(mode: mode, maximumMessageSize: maximumMessageSize))
        }
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        switch self.base {
        case .header(var decoder):
            defer { self.base = .header(decoder) }
            return try decoder.decode(buffer: &buffer)
        case .length(var decoder):
            defer { self.base = .length(decoder) }
            return try decoder.decode(buffer: &buffer)
        case .lines(var decoder):
            defer { self.base = .lines(decoder) }
            return try decoder.decode(buffer: &buffer)
        case .raw(var decoder):
            defer { self.base = .raw(decoder) }
            return try decoder.decode(buffer: &buffer)
        }
    }

    /// The length of the message being received, once its header has been read (header and length
    /// framings); `nil` between messages and for lines and raw.
    public var awaitedBodyLength: Int? {
        switch self.base {
        case .header(let decoder): return decoder.awaitedBodyLength
        case .length(let decoder): return decoder.awaitedBodyLength
        case .lines, .raw: return nil
        }
    }

    /// Whether a message's length is known once its header is read (header and length framings):
    /// a caller can then take from a read exactly the bytes that complete a message.
    public var declaresLengths: Bool {
        switch self.base {
        case .header, .length: return true
        case .lines, .raw: return false
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        switch self.base {
        case .header(var decoder):
            defer { self.base = .header(decoder) }
            return try decoder.decodeLast(buffer: &buffer, seenEOF: seenEOF)
        case .length(var decoder):
            defer { self.base = .length(decoder) }
            return try decoder.decodeLast(buffer: &buffer, seenEOF: seenEOF)
        case .lines(var decoder):
            defer { self.base = .lines(decoder) }
            return try decoder.decodeLast(buffer: &buffer, seenEOF: seenEOF)
        case .raw(var decoder):
            defer { self.base = .raw(decoder) }
            return try decoder.decodeLast(buffer: &buffer, seenEOF: seenEOF)
        }
    }
}

@available(*, unavailable)
extension MessageDecoder: Sendable {}
