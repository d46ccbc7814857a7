import NIOCore
import NIOTestUtils
import Testing
import WireFraming

struct LineFrameDecoderTests {
    @Test func passesTheVerifier() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [
                ("hello\n", [ByteBuffer(string: "hello")]),
                ("crlf\r\n", [ByteBuffer(string: "crlf")]),
                ("\n", [ByteBuffer()]),
                ("\r\n", [ByteBuffer()]),
                ("a\rb\n", [ByteBuffer(string: "a\rb")]),
            ],
            decoderFactory: { LineFrameDecoder() }
        )
    }

    @Test func dropsACarriageReturnSplitFromItsNewline() throws {
        #expect(try decodeAll(["AB", "C\r", "\nDE", "F\r\nGHI\n"], framing: .lines) == ["ABC", "DEF", "GHI"])
    }

    @Test func deliversAnUnterminatedLastLineAtEOF() throws {
        #expect(try decodeAll(["one\ntwo"], framing: .lines) == ["one", "two"])
        #expect(try decodeAll(["one\ntwo\r"], framing: .lines) == ["one", "two"])
    }

    @Test func acceptsALineAtTheLimitAndRejectsOneMore() throws {
        #expect(try decodeAll(["abcd\n", "abcd\r\n"], framing: .lines, maximumMessageSize: 4) == ["abcd", "abcd"])
        #expect(throws: FramingError.lineExceedsLimit(buffered: 5, limit: 4)) {
            try decodeAll(["abcde\n"], framing: .lines, maximumMessageSize: 4)
        }
    }

    @Test func rejectsAnEndlessLineBeforeItsEnd() throws {
        // No newline ever arrives: the decoder must give up once the limit is passed.
        let error = #expect(throws: FramingError.self) {
            try decodeAll(
                [ByteBuffer(string: "abc"), ByteBuffer(string: "def")],
                framing: .lines,
                maximumMessageSize: 4,
                seenEOF: false
            )
        }
        #expect(error?.description == "line of 6 bytes without a newline exceeds the limit of 4 bytes")
    }
}
