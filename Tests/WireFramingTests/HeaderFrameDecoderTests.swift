import NIOCore
import NIOTestUtils
import Testing
import WireFraming

struct HeaderFrameDecoderTests {
    @Test func decodesTheTutorialWelcome() throws {
        #expect(try decodeAll(["22        Welcome to the server!"], framing: .header()) == ["Welcome to the server!"])
    }

    @Test func passesTheVerifierForEveryChunking() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [
                ("22        Welcome to the server!", [ByteBuffer(string: "Welcome to the server!")]),
                ("0         ", [ByteBuffer()]),
                ("3         abc", [ByteBuffer(string: "abc")]),
                ("         1x", [ByteBuffer(string: "x")]),
                ("6         h\u{e9}llo", [ByteBuffer(string: "h\u{e9}llo")]),
            ],
            decoderFactory: { HeaderFrameDecoder() }
        )
    }

    @Test func acceptsRightAlignedAndPaddedHeaders() throws {
        #expect(try decodeAll(["         5hello"], framing: .header()) == ["hello"])
        #expect(try decodeAll(["  5       hello"], framing: .header()) == ["hello"])
        #expect(try decodeAll(["0000000005hello"], framing: .header()) == ["hello"])
    }

    @Test func decodesZeroLengthMessages() throws {
        #expect(try decodeAll(["0         0         "], framing: .header()) == ["", ""])
    }

    @Test(arguments: [
        "12a       ", "-5        ", "+5        ", "1 2       ", "          ", "\t5        ", "5_0       ",
        "0x10      ", "5\n        ", "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}",
    ])
    func rejectsMalformedHeaders(header: String) throws {
        #expect(throws: FramingError.self) { try decodeAll([header + "xxxxxxxxxxxxxxxxxxxx"], framing: .header()) }
    }

    @Test func saysWhatWasWrongWithAHeader() throws {
        let error = #expect(throws: FramingError.self) { try decodeAll(["12a       hello"], framing: .header()) }
        #expect(error?.description == #"invalid header "12a       ": expected a decimal length"#)
        let binary = #expect(throws: FramingError.self) {
            try decodeAll(
                [ByteBuffer(bytes: [0x00, 0xff, 0x31, 0x22, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20])],
                framing: .header()
            )
        }
        #expect(binary?.description == #"invalid header "\x00\xff1\"      ": expected a decimal length"#)
    }

    @Test func acceptsAMessageExactlyAtTheLimit() throws {
        #expect(try decodeAll(["5         hello"], framing: .header(), maximumMessageSize: 5) == ["hello"])
    }

    @Test func rejectsADeclaredLengthOverTheLimitBeforeTheBody() throws {
        // Only the header arrives: the decoder must refuse without waiting for the body.
        let error = #expect(throws: FramingError.self) {
            try decodeAll([ByteBuffer(string: "6         ")], framing: .header(), maximumMessageSize: 5, seenEOF: false)
        }
        #expect(error == .lengthExceedsLimit(declared: 6, limit: 5))
        let huge = #expect(throws: FramingError.self) {
            try decodeAll([ByteBuffer(string: "9999999999")], framing: .header(), seenEOF: false)
        }
        #expect(huge?.description == "declared length 9999999999 exceeds the limit of 16777216 bytes")
    }

    @Test func reportsAPartialMessageAtEOF() throws {
        #expect(throws: FramingError.truncatedMessage(buffered: 13)) {
            try decodeAll(["5         abc"], framing: .header())
        }
        #expect(throws: FramingError.truncatedMessage(buffered: 3)) { try decodeAll(["5  "], framing: .header()) }
    }

    @Test func honoursAConfiguredWidth() throws {
        #expect(try decodeAll(["3  abc12 twelve bytes"], framing: .header(width: 3)) == ["abc", "twelve bytes"])
    }
}
