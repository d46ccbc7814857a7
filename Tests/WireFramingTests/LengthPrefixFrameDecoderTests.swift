import NIOCore
import NIOTestUtils
import Testing
import WireFraming

struct LengthPrefixFrameDecoderTests {
    @Test(arguments: [1, 2, 4, 8], [Framing.Endianness.big, .little])
    func passesTheVerifier(bytes: Int, endianness: Framing.Endianness) throws {
        let encoder = MessageEncoder(framing: .length(bytes: bytes, endianness: endianness))
        let pairs = try ["", "a", "hello", String(repeating: "z", count: 255)].map { text in
            var frame = ByteBuffer()
            try encoder.encode(ByteBuffer(string: text), into: &frame)
            return (frame, [ByteBuffer(string: text)])
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            LengthPrefixFrameDecoder(prefixBytes: bytes, endianness: endianness)
        }
    }

    @Test func readsTheBytesMultiprocessingWrites() throws {
        // struct.pack("!i", 5) + b"hello"
        let frame = ByteBuffer(bytes: [0, 0, 0, 5] + Array("hello".utf8))
        #expect(try decodeAll([frame], framing: .length()) == ["hello"])
        let little = ByteBuffer(bytes: [5, 0, 0, 0] + Array("hello".utf8))
        #expect(try decodeAll([little], framing: .length(endianness: .little)) == ["hello"])
    }

    @Test func readsTheExtendedLengthOfMultiprocessing() throws {
        let frame = ByteBuffer(bytes: [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 3] + Array("abc".utf8))
        #expect(try decodeAll([frame], framing: .length()) == ["abc"])
    }

    @Test func acceptsExactlyTheLimitAndRejectsOneMore() throws {
        #expect(
            try decodeAll([ByteBuffer(bytes: [0, 3, 97, 98, 99])], framing: .length(bytes: 2), maximumMessageSize: 3)
                == ["abc"]
        )
        #expect(throws: FramingError.lengthExceedsLimit(declared: 4, limit: 3)) {
            try decodeAll(
                [ByteBuffer(bytes: [0, 4])],
                framing: .length(bytes: 2),
                maximumMessageSize: 3,
                seenEOF: false
            )
        }
    }

    @Test func rejectsAMaliciousEightByteLength() throws {
        let error = #expect(throws: FramingError.self) {
            try decodeAll(
                [ByteBuffer(bytes: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
                framing: .length(bytes: 8),
                seenEOF: false
            )
        }
        #expect(error?.description == "declared length 18446744073709551615 exceeds the limit of 16777216 bytes")
        #expect(throws: FramingError.self) {
            try decodeAll(
                [ByteBuffer(bytes: [0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0, 0, 0])],
                framing: .length(),
                seenEOF: false
            )
        }
    }

    @Test func decodesZeroLengthMessages() throws {
        #expect(try decodeAll([ByteBuffer(bytes: [0, 0, 0, 0, 0, 0, 0, 0])], framing: .length()) == ["", ""])
    }

    @Test func reportsAPartialMessageAtEOF() throws {
        #expect(throws: FramingError.truncatedMessage(buffered: 6)) {
            try decodeAll([ByteBuffer(bytes: [0, 0, 0, 5, 104, 105])], framing: .length())
        }
        #expect(throws: FramingError.truncatedMessage(buffered: 2)) {
            try decodeAll([ByteBuffer(bytes: [0, 0])], framing: .length())
        }
    }
}
