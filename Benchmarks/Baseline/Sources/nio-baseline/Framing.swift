import NIOCore

/// The two framings of the benchmarks: a 4-byte big-endian length (`be32`) or the tutorial's
/// 10-byte ASCII header (`ascii10`).
enum Framing: String, Sendable {
    case be32, ascii10

    var headerSize: Int { self == .be32 ? 4 : 10 }

    func writeHeader(length: Int, into buffer: inout ByteBuffer) {
        switch self {
        case .be32:
            buffer.writeInteger(UInt32(length))
        case .ascii10:
            let digits = String(length)
            buffer.writeString(digits)
            buffer.writeRepeatingByte(UInt8(ascii: " "), count: 10 - digits.utf8.count)
        }
    }

    func readLength(from header: ByteBuffer) -> Int? {
        switch self {
        case .be32:
            return header.getInteger(at: header.readerIndex, as: UInt32.self).map(Int.init)
        case .ascii10:
            let text = String(buffer: header).trimmingCharacters(in: " ")
            return Int(text)
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> Substring {
        var slice = Substring(self)
        while slice.first == character { slice.removeFirst() }
        while slice.last == character { slice.removeLast() }
        return slice
    }
}

/// Length-prefixed frame decoder, the classic `ByteToMessageDecoder` way.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let framing: Framing

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let header = buffer.getSlice(at: buffer.readerIndex, length: self.framing.headerSize) else {
            return .needMoreData
        }
        guard let length = self.framing.readLength(from: header) else {
            throw ByteToMessageDecoderError.leftoverDataWhenDone(header)
        }
        guard buffer.readableBytes >= self.framing.headerSize + length else {
            return .needMoreData
        }
        buffer.moveReaderIndex(forwardBy: self.framing.headerSize)
        context.fireChannelRead(Self.wrapInboundOut(buffer.readSlice(length: length)!))
        return .continue
    }
}

/// Writes the header as its own small buffer and the payload as it is, like NIOExtras'
/// `LengthFieldPrepender`.
final class FramePrepender: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let framing: Framing

    init(framing: Framing) {
        self.framing = framing
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let payload = Self.unwrapOutboundIn(data)
        var header = context.channel.allocator.buffer(capacity: self.framing.headerSize)
        self.framing.writeHeader(length: payload.readableBytes, into: &header)
        context.write(Self.wrapOutboundOut(header), promise: nil)
        context.write(data, promise: promise)
    }
}
