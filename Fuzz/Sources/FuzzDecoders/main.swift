import NIOCore
import WireFraming

// One libFuzzer target for every decoder. The first input byte picks the framing and size
// limit, the second the size of the chunks the rest is fed in; the rest is the byte stream.
//
// Invariants checked (a failure traps, which libFuzzer reports as a crash):
// - decoding never crashes, whatever the bytes and however they are split;
// - every message respects the size limit;
// - re-encoding the decoded messages and decoding that again gives the same messages;
// - the same stream fed in one piece gives the same messages (or the same error).

// No top-level statements in this file: libFuzzer provides `main`, so Swift's top-level code
// never runs, and a global here would never be initialised. Statics are initialised lazily.
enum Targets {
    static let framings: [Framing] = [
        .header(), .header(width: 3), .header(width: 19), .length(bytes: 1), .length(bytes: 2), .length(),
        .length(bytes: 8), .length(bytes: 4, endianness: .little), .lines, .raw(.chunks), .raw(.wholeStream),
    ]
}

enum Outcome: Equatable {
    case messages([ByteBuffer])
    case failed(FramingError)

    /// Two failures match whatever their context: how many bytes of an over-long line had been
    /// buffered when the decoder gave up depends, rightly, on how the bytes arrived.
    static func == (a: Outcome, b: Outcome) -> Bool {
        switch (a, b) {
        case (.messages(let x), .messages(let y)): return x == y
        case (.failed, .failed): return true
        default: return false
        }
    }
}

func decode(_ stream: ByteBuffer, framing: Framing, limit: Int, chunk: Int) -> Outcome {
    let processor = NIOSingleStepByteToMessageProcessor(MessageDecoder(framing: framing, maximumMessageSize: limit))
    var messages: [ByteBuffer] = []
    var rest = stream
    do {
        while rest.readableBytes > 0 {
            guard let piece = rest.readSlice(length: min(chunk, rest.readableBytes)) else { break }
            try processor.process(buffer: piece) { messages.append($0) }
        }
        try processor.finishProcessing(seenEOF: true) { messages.append($0) }
    } catch let error as FramingError {
        return .failed(error)
    } catch {
        fatalError("decoder threw something other than a FramingError: \(error)")
    }
    return .messages(messages)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecoders(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    guard bytes.count >= 2 else { return 0 }
    let framing = Targets.framings[Int(bytes[0]) % Targets.framings.count]
    let limit = bytes[0] >= 128 ? 64 : 1 << 16
    let chunk = Int(bytes[1] % 32) + 1
    let stream = ByteBuffer(bytes: bytes[2...])

    let split = decode(stream, framing: framing, limit: limit, chunk: chunk)
    let whole = decode(stream, framing: framing, limit: limit, chunk: max(1, stream.readableBytes))
    switch framing.kind {
    case .rawChunks:
        // Chunks depend on the reads by definition; only the bytes must agree.
        if case .messages(let a) = split, case .messages(let b) = whole {
            precondition(a.reduce(0) { $0 + $1.readableBytes } == b.reduce(0) { $0 + $1.readableBytes })
        }
    default:
        precondition(split == whole, "splitting the stream changed what \(framing) decoded")
    }

    guard case .messages(let messages) = split else { return 0 }
    for message in messages {
        precondition(message.readableBytes <= limit, "a message over the limit got through")
    }
    if case .rawChunks = framing.kind { return 0 }
    let encoder = MessageEncoder(framing: framing, maximumMessageSize: limit)
    var encoded = ByteBuffer()
    for message in messages {
        do {
            try encoder.encode(message, into: &encoded)
        } catch {
            // A message the encoder refuses (a newline in lines, say) cannot be decoded back.
            precondition(
                framing.kind == .lines || framing.kind == .rawWholeStream,
                "\(framing) decoded a message it cannot encode: \(error)"
            )
            return 0
        }
    }
    let again = decode(encoded, framing: framing, limit: limit, chunk: chunk)
    if case .lines = framing.kind, messages.last?.readableBytes == 0 {
        return 0  // An unterminated empty last line does not survive a round trip; nothing to compare.
    }
    precondition(again == .messages(messages), "\(framing) did not decode what it encoded")
    return 0
}

extension Framing {
    enum Shape { case rawChunks, rawWholeStream, lines, framed }
    var kind: Shape {
        switch self {
        case .raw(.chunks): return .rawChunks
        case .raw(.wholeStream): return .rawWholeStream
        case .lines: return .lines
        default: return .framed
        }
    }
}
