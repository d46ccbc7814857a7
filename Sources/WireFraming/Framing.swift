/// How messages are delimited on a TCP byte stream.
///
/// `Framing` is a value that names one of the wire formats Wire speaks. Build one with the static
/// factories and hand it to ``MessageDecoder`` and ``MessageEncoder``:
///
/// ```swift
/// let tutorial = Framing.header()                 // "22        Welcome to the server!"
/// let python = Framing.length(bytes: 4)            // multiprocessing.connection
/// let netcat = Framing.lines
/// ```
public struct Framing: Sendable, Hashable, CustomStringConvertible {
    /// The byte order of a binary length prefix.
    public enum Endianness: Sendable, Hashable {
        case big
        case little
    }

    /// What a message is when there is no framing at all.
    public enum RawMode: Sendable, Hashable {
        /// Every read from the socket is one message (the tutorial's `recv(N)` loop).
        case chunks
        /// The whole stream up to the peer's close is one message.
        case wholeStream
    }

    enum Kind: Sendable, Hashable {
        case header(width: Int)
        case length(bytes: Int, endianness: Endianness)
        case lines
        case raw(RawMode)
    }

    let kind: Kind

    private init(_ kind: Kind) {
        self.kind = kind
    }

    /// The tutorial's fixed-width ASCII decimal length header, left-aligned and space-padded.
    ///
    /// - Parameter width: The header's width in bytes, 10 in the tutorial. Must be between 1 and 19
    ///   (19 decimal digits always fit a 64-bit length).
    public static func header(width: Int = 10) -> Framing {
        precondition((1...19).contains(width), "header width must be between 1 and 19, got \(width)")
        return Framing(.header(width: width))
    }

    /// A binary unsigned length prefix.
    ///
    /// - Parameters:
    ///   - bytes: The prefix's size: 1, 2, 4 or 8 bytes.
    ///   - endianness: The prefix's byte order, big-endian (network order) by default.
    public static func length(bytes: Int = 4, endianness: Endianness = .big) -> Framing {
        precondition([1, 2, 4, 8].contains(bytes), "length prefix must be 1, 2, 4 or 8 bytes, got \(bytes)")
        return Framing(.length(bytes: bytes, endianness: endianness))
    }

    /// One message per line, terminated by `\n`; a `\r` before it is dropped.
    public static let lines = Framing(.lines)

    /// No framing: each read is a message, or the whole stream up to the peer's close.
    public static func raw(_ mode: RawMode = .chunks) -> Framing {
        Framing(.raw(mode))
    }

    /// Whether a zero-length message can be represented in this framing.
    public var allowsEmptyMessages: Bool {
        switch self.kind {
        case .header, .length, .lines: return true
        case .raw: return false
        }
    }

    public var description: String {
        switch self.kind {
        case .header(let width):
            return "header(width: \(width))"
        case .length(let bytes, let endianness):
            return "length(bytes: \(bytes), \(endianness == .big ? "big" : "little")-endian)"
        case .lines:
            return "lines"
        case .raw(let mode):
            return mode == .chunks ? "raw(chunks)" : "raw(whole stream)"
        }
    }
}
