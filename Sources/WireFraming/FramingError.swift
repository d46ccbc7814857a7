public import NIOCore

/// An error in the bytes a peer sent, or in a message that cannot be framed.
///
/// Every case carries the context needed to say exactly what was wrong, in one sentence:
///
/// ```
/// invalid header "12a       ": expected a decimal length
/// declared length 9999999999 exceeds the limit of 16777216 bytes
/// ```
public struct FramingError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case invalidHeader(String)
        case lengthExceedsLimit(declared: UInt64, limit: Int)
        case lineExceedsLimit(buffered: Int, limit: Int)
        case streamExceedsLimit(buffered: Int, limit: Int)
        case truncatedMessage(buffered: Int)
        case messageTooLongForHeader(length: Int, width: Int)
        case messageTooLongForPrefix(length: Int, bytes: Int)
        case messageTooLarge(length: Int, limit: Int)
        case messageContainsNewline
        case messageEndsWithCarriageReturn
    }

    let code: Code

    init(_ code: Code) {
        self.code = code
    }

    /// A fixed-width ASCII header held something other than a decimal length.
    public static func invalidHeader(_ bytes: ByteBuffer) -> FramingError {
        FramingError(.invalidHeader(Self.quoted(bytes)))
    }

    /// A header declared a message longer than the configured maximum.
    public static func lengthExceedsLimit(declared: UInt64, limit: Int) -> FramingError {
        FramingError(.lengthExceedsLimit(declared: declared, limit: limit))
    }

    /// A line grew past the configured maximum without a terminating `\n`.
    public static func lineExceedsLimit(buffered: Int, limit: Int) -> FramingError {
        FramingError(.lineExceedsLimit(buffered: buffered, limit: limit))
    }

    /// A raw stream grew past the configured maximum before the peer closed it.
    public static func streamExceedsLimit(buffered: Int, limit: Int) -> FramingError {
        FramingError(.streamExceedsLimit(buffered: buffered, limit: limit))
    }

    /// The stream ended in the middle of a message.
    public static func truncatedMessage(buffered: Int) -> FramingError {
        FramingError(.truncatedMessage(buffered: buffered))
    }

    /// An outgoing message's length has more digits than the ASCII header can hold.
    public static func messageTooLongForHeader(length: Int, width: Int) -> FramingError {
        FramingError(.messageTooLongForHeader(length: length, width: width))
    }

    /// An outgoing message's length does not fit the binary length prefix.
    public static func messageTooLongForPrefix(length: Int, bytes: Int) -> FramingError {
        FramingError(.messageTooLongForPrefix(length: length, bytes: bytes))
    }

    /// An outgoing message is longer than the configured maximum.
    public static func messageTooLarge(length: Int, limit: Int) -> FramingError {
        FramingError(.messageTooLarge(length: length, limit: limit))
    }

    /// An outgoing message for `lines` framing contains a `\n`, which would split it in two.
    public static let messageContainsNewline = FramingError(.messageContainsNewline)

    /// An outgoing message for `lines` framing ends with a `\r`, which the reader would drop.
    public static let messageEndsWithCarriageReturn = FramingError(.messageEndsWithCarriageReturn)

    public var description: String {
        switch self.code {
        case .invalidHeader(let header):
            return "invalid header \(header): expected a decimal length"
        case .lengthExceedsLimit(let declared, let limit):
            return "declared length \(declared) exceeds the limit of \(limit) bytes"
        case .lineExceedsLimit(let buffered, let limit):
            return "line of \(buffered) bytes without a newline exceeds the limit of \(limit) bytes"
        case .streamExceedsLimit(let buffered, let limit):
            return "stream of \(buffered) bytes exceeds the limit of \(limit) bytes"
        case .truncatedMessage(let buffered):
            return "connection closed in the middle of a message (\(buffered) bytes of it received)"
        case .messageTooLongForHeader(let length, let width):
            return "message of \(length) bytes does not fit a \(width)-byte length header"
        case .messageTooLongForPrefix(let length, let bytes):
            return "message of \(length) bytes does not fit a \(bytes)-byte length prefix"
        case .messageTooLarge(let length, let limit):
            return "message of \(length) bytes exceeds the limit of \(limit) bytes"
        case .messageContainsNewline:
            return "message contains a newline, which lines framing cannot carry"
        case .messageEndsWithCarriageReturn:
            return "message ends with a carriage return, which lines framing would drop"
        }
    }

    /// Quotes raw header bytes for an error message, escaping anything that is not printable ASCII.
    static func quoted(_ bytes: ByteBuffer) -> String {
        var text = "\""
        for byte in bytes.readableBytesView {
            text += Self.escaped(byte)
        }
        return text + "\""
    }

    static func escaped(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "\""): return "\\\""
        case UInt8(ascii: "\\"): return "\\\\"
        case UInt8(ascii: "\n"): return "\\n"
        case UInt8(ascii: "\r"): return "\\r"
        case UInt8(ascii: "\t"): return "\\t"
        case 0x20..<0x7F: return String(UnicodeScalar(byte))
        default:
            let hex = String(byte, radix: 16, uppercase: false)
            return "\\x" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
}
