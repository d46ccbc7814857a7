import NIOCore
import WireFraming

/// Feeds `chunks` to a fresh decoder for `framing`, then signals EOF, and returns the messages as strings.
func decodeAll(
    _ chunks: [ByteBuffer],
    framing: Framing,
    maximumMessageSize: Int = MessageDecoder.defaultMaximumMessageSize,
    seenEOF: Bool = true
) throws -> [String] {
    let processor = NIOSingleStepByteToMessageProcessor(
        MessageDecoder(framing: framing, maximumMessageSize: maximumMessageSize)
    )
    var messages: [String] = []
    for chunk in chunks {
        try processor.process(buffer: chunk) { messages.append(String(buffer: $0)) }
    }
    if seenEOF {
        try processor.finishProcessing(seenEOF: true) { messages.append(String(buffer: $0)) }
    }
    return messages
}

func decodeAll(_ chunks: [String], framing: Framing, maximumMessageSize: Int = 1 << 24) throws -> [String] {
    try decodeAll(chunks.map { ByteBuffer(string: $0) }, framing: framing, maximumMessageSize: maximumMessageSize)
}

/// Encodes `messages` back to back in one buffer.
func encodeAll(_ messages: [String], framing: Framing) throws -> ByteBuffer {
    let encoder = MessageEncoder(framing: framing)
    var out = ByteBuffer()
    for message in messages {
        try encoder.encode(ByteBuffer(string: message), into: &out)
    }
    return out
}

/// Every way of cutting `buffer` in two, plus byte by byte.
func splits(of buffer: ByteBuffer) -> [[ByteBuffer]] {
    var result: [[ByteBuffer]] = []
    for cut in 0...buffer.readableBytes {
        result.append([
            buffer.getSlice(at: buffer.readerIndex, length: cut)!,
            buffer.getSlice(at: buffer.readerIndex + cut, length: buffer.readableBytes - cut)!,
        ])
    }
    result.append(buffer.readableBytesView.map { ByteBuffer(bytes: [$0]) })
    return result
}

/// Every framing Wire ships, in the variants that matter for splitting.
let framedFramings: [Framing] = [
    .header(), .header(width: 4), .length(bytes: 1), .length(bytes: 2), .length(), .length(bytes: 8),
    .length(bytes: 2, endianness: .little), .length(bytes: 4, endianness: .little), .lines,
]
