import NIOCore
import Testing
import WireFraming

struct MessageEncoderTests {
    @Test func writesTheTutorialHeaderLeftAligned() throws {
        #expect(
            String(buffer: try encodeAll(["Welcome to the server!"], framing: .header()))
                == "22        Welcome to the server!"
        )
        #expect(String(buffer: try encodeAll([""], framing: .header())) == "0         ")
        #expect(
            Array(try encodeAll(["h\u{e9}llo"], framing: .header()).readableBytesView) == Array("6         h".utf8) + [
                0xc3, 0xa9,
            ] + Array("llo".utf8)
        )
    }

    @Test func refusesAPayloadWhoseLengthDoesNotFitTheWidth() throws {
        let encoder = MessageEncoder(framing: .header(width: 2))
        var out = ByteBuffer()
        try encoder.encode(ByteBuffer(repeating: 0x61, count: 99), into: &out)
        let error = #expect(throws: FramingError.self) {
            try encoder.encode(ByteBuffer(repeating: 0x61, count: 100), into: &out)
        }
        #expect(error?.description == "message of 100 bytes does not fit a 2-byte length header")
        #expect(out.readableBytes == 101, "a refused message writes nothing")
    }

    @Test func writesBinaryPrefixesInBothByteOrders() throws {
        #expect(Array(try encodeAll(["hi"], framing: .length()).readableBytesView) == [0, 0, 0, 2, 104, 105])
        #expect(
            Array(try encodeAll(["hi"], framing: .length(endianness: .little)).readableBytesView) == [
                2, 0, 0, 0, 104, 105,
            ]
        )
        #expect(Array(try encodeAll(["hi"], framing: .length(bytes: 1)).readableBytesView) == [2, 104, 105])
        #expect(
            Array(try encodeAll(["hi"], framing: .length(bytes: 8)).readableBytesView) == [
                0, 0, 0, 0, 0, 0, 0, 2, 104, 105,
            ]
        )
    }

    @Test func refusesAPayloadTooLongForTheprefix() throws {
        #expect(throws: FramingError.messageTooLongForPrefix(length: 256, bytes: 1)) {
            try MessageEncoder(framing: .length(bytes: 1)).validate(ByteBuffer(repeating: 0, count: 256))
        }
        #expect(throws: FramingError.messageTooLongForPrefix(length: 65536, bytes: 2)) {
            try MessageEncoder(framing: .length(bytes: 2)).validate(ByteBuffer(repeating: 0, count: 65536))
        }
    }

    @Test func refusesAPayloadOverTheLimit() throws {
        #expect(throws: FramingError.messageTooLarge(length: 5, limit: 4)) {
            try MessageEncoder(framing: .lines, maximumMessageSize: 4).validate(ByteBuffer(string: "hello"))
        }
    }

    @Test func refusesANewlineInLinesFraming() throws {
        #expect(throws: FramingError.messageContainsNewline) { try encodeAll(["two\nlines"], framing: .lines) }
        // Found by Fuzz/run.sh: a final "\r" would be dropped by the reader, so the message would change.
        #expect(throws: FramingError.messageEndsWithCarriageReturn) { try encodeAll(["ends with\r"], framing: .lines) }
        #expect(String(buffer: try encodeAll(["inner\rreturn"], framing: .lines)) == "inner\rreturn\n")
        #expect(String(buffer: try encodeAll(["one", ""], framing: .lines)) == "one\n\n")
    }
}
