import NIOCore
import Testing
import WireFraming

struct MessageDecoderTests {
    static let messages = ["Hey there!!!", "", "h\u{e9}llo w\u{f6}rld", "x", String(repeating: "long ", count: 40)]

    @Test(arguments: framedFramings)
    func survivesEverySplitPoint(framing: Framing) throws {
        let stream = try encodeAll(Self.messages, framing: framing)
        for chunks in splits(of: stream) {
            #expect(
                try decodeAll(chunks, framing: framing) == Self.messages,
                "\(framing) split into \(chunks.map(\.readableBytes))"
            )
        }
    }

    @Test(arguments: framedFramings)
    func survivesEverySplitIntoThree(framing: Framing) throws {
        let stream = try encodeAll(["ab", "", "cde"], framing: framing)
        let count = stream.readableBytes
        for first in 0...count {
            for second in first...count {
                let chunks = [
                    stream.getSlice(at: 0, length: first)!,
                    stream.getSlice(at: first, length: second - first)!,
                    stream.getSlice(at: second, length: count - second)!,
                ]
                #expect(try decodeAll(chunks, framing: framing) == ["ab", "", "cde"])
            }
        }
    }

    @Test func rawChunksKeepEveryByteThroughEverySplit() throws {
        let stream = ByteBuffer(string: "Hey there!!!")
        for chunks in splits(of: stream) {
            #expect(try decodeAll(chunks, framing: .raw(.chunks)).joined() == "Hey there!!!")
            #expect(try decodeAll(chunks, framing: .raw(.wholeStream)) == ["Hey there!!!"])
        }
    }
}
