import NIOCore
import Testing
import WireFraming

struct RawFrameDecoderTests {
    @Test func deliversEachReadAsAChunk() throws {
        #expect(try decodeAll(["Hey ther", "e!!!"], framing: .raw(.chunks)) == ["Hey ther", "e!!!"])
    }

    @Test func splitsAChunkLargerThanTheLimit() throws {
        #expect(try decodeAll(["abcdefg"], framing: .raw(.chunks), maximumMessageSize: 3) == ["abc", "def", "g"])
    }

    @Test func deliversTheWholeStreamAtClose() throws {
        #expect(try decodeAll(["Hey ther", "e!!!"], framing: .raw(.wholeStream)) == ["Hey there!!!"])
        #expect(try decodeAll([String](), framing: .raw(.wholeStream)) == [])
    }

    @Test func rejectsAStreamOverTheLimit() throws {
        #expect(try decodeAll(["abc", "d"], framing: .raw(.wholeStream), maximumMessageSize: 4) == ["abcd"])
        #expect(throws: FramingError.streamExceedsLimit(buffered: 5, limit: 4)) {
            try decodeAll(["abc", "de"], framing: .raw(.wholeStream), maximumMessageSize: 4)
        }
    }
}
