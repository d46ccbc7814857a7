import ArgumentParser
import WireFraming

/// The framing flags shared by every command.
struct FramingOptions: ParsableArguments {
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case header, length, lines, raw
    }

    @Option(help: "How messages are delimited: header, length, lines or raw.")
    var framing: Kind = .header

    @Option(help: "Width in bytes of the ASCII length header (header framing).")
    var headerWidth: Int = 10

    @Option(help: "Size in bytes of the binary length prefix: 1, 2, 4 or 8 (length framing).")
    var lengthBytes: Int = 4

    @Flag(help: "Read and write the binary length prefix little-endian (length framing).")
    var littleEndian = false

    @Option(help: "Largest message accepted or sent, in bytes.")
    var maxMessageSize: Int = MessageDecoder.defaultMaximumMessageSize

    func validate() throws {
        guard (1...19).contains(self.headerWidth) else {
            throw ValidationError("--header-width must be between 1 and 19, got \(self.headerWidth).")
        }
        guard [1, 2, 4, 8].contains(self.lengthBytes) else {
            throw ValidationError("--length-bytes must be 1, 2, 4 or 8, got \(self.lengthBytes).")
        }
        guard self.maxMessageSize > 0 else {
            throw ValidationError("--max-message-size must be positive, got \(self.maxMessageSize).")
        }
    }

    /// Chat records are two frames: raw bytes cannot delimit them.
    func validateForChat() throws {
        guard self.framing != .raw else {
            throw ValidationError("--framing raw cannot delimit chat records; use header, length or lines.")
        }
    }

    /// The framing these flags describe; `rawMode` says what a raw message is.
    func framing(rawMode: Framing.RawMode) -> Framing {
        switch self.framing {
        case .header: return .header(width: self.headerWidth)
        case .length: return .length(bytes: self.lengthBytes, endianness: self.littleEndian ? .little : .big)
        case .lines: return .lines
        case .raw: return .raw(rawMode)
        }
    }
}
