import NIOCore
import NIOTestUtils
import Testing
import WireNATS

struct NATSServerOperationDecoderTests {
    /// A session's worth of what nats-server sends, in its own spelling.
    static let session = ByteBuffer(
        string: #"INFO {"server_id":"x","max_payload":1048576,"headers":true}"# + "\r\n"
            + "PING\r\n+OK\r\n"
            + "MSG room 1 11\r\nhello world\r\n"
            + "MSG room 1 _INBOX.reply 0\r\n\r\n"
            + "HMSG room 2 32 37\r\nNATS/1.0\r\nWire-Sender: alice\r\n\r\nhello\r\n"
            + "msg\troom\t1\t2\r\nhi\r\n"
            + "PONG\r\n-ERR 'Stale Connection'\r\n"
    )

    static let expected: [NATSServerOperation] = [
        .info(ByteBuffer(string: #"{"server_id":"x","max_payload":1048576,"headers":true}"#)),
        .ping, .ok,
        .message(NATSMessage(subject: "room", subscriptionID: "1", payload: ByteBuffer(string: "hello world"))),
        .message(NATSMessage(subject: "room", subscriptionID: "1", replyTo: "_INBOX.reply", payload: ByteBuffer())),
        .message(
            NATSMessage(
                subject: "room",
                subscriptionID: "2",
                headers: ByteBuffer(string: "NATS/1.0\r\nWire-Sender: alice\r\n\r\n"),
                payload: ByteBuffer(string: "hello")
            )
        ),
        .message(NATSMessage(subject: "room", subscriptionID: "1", payload: ByteBuffer(string: "hi"))),
        .pong, .error("Stale Connection"),
    ]

    static func decode(
        _ chunks: [ByteBuffer],
        decoder: NATSServerOperationDecoder = NATSServerOperationDecoder()
    ) throws -> [NATSServerOperation] {
        let processor = NIOSingleStepByteToMessageProcessor(decoder)
        var operations: [NATSServerOperation] = []
        for chunk in chunks {
            try processor.process(buffer: chunk) { operations.append($0) }
        }
        return operations
    }

    @Test func decodesEveryOperationThroughEverySplit() throws {
        let bytes = Self.session
        for cut in 0...bytes.readableBytes {
            let chunks = [
                bytes.getSlice(at: 0, length: cut)!, bytes.getSlice(at: cut, length: bytes.readableBytes - cut)!,
            ]
            #expect(try Self.decode(chunks) == Self.expected, "cut at \(cut)")
        }
        #expect(
            try Self.decode(bytes.readableBytesView.map { ByteBuffer(bytes: [$0]) }) == Self.expected,
            "byte by byte"
        )
    }

    @Test func passesNIOsDecoderVerifier() throws {
        let inputs: [(String, [NATSServerOperation])] = [
            ("PING\r\n", [.ping]),
            (
                "MSG a.b 7 3\r\nabc\r\n",
                [.message(NATSMessage(subject: "a.b", subscriptionID: "7", payload: ByteBuffer(string: "abc")))]
            ),
            ("-ERR 'Authorization Violation'\r\n", [.error("Authorization Violation")]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: inputs,
            decoderFactory: { NATSServerOperationDecoder() }
        )
    }

    @Test func refusesAControlLineOverTheLimitBeforeItsEnd() throws {
        let decoder = NATSServerOperationDecoder(maximumControlLineLength: 16)
        #expect(throws: NATSProtocolError.self) {
            try Self.decode([ByteBuffer(string: "INFO " + String(repeating: "x", count: 40))], decoder: decoder)
        }
        // At the limit it is fine.
        #expect(
            try Self.decode([ByteBuffer(string: "INFO 01234567890\r\n")], decoder: decoder) == [
                .info(ByteBuffer(string: "01234567890"))
            ]
        )
    }

    @Test(arguments: [
        ("MSG room 1 2000000\r\n", "NATS message of 2000000 bytes exceeds the limit of 1048576 bytes"),
        ("MSG room 1\r\n", #"malformed NATS MSG: "MSG room 1""#),
        ("MSG room 1 -5\r\n", #"malformed NATS MSG: "MSG room 1 -5""#),
        ("HMSG room 1 10 5\r\n", #"malformed NATS HMSG: "HMSG room 1 10 5""#),
        ("MSG room 1 2\r\nhiXX", "NATS MSG payload is not followed by CRLF"),
        ("HELLO there\r\n", #"unknown NATS operation "HELLO""#),
    ])
    func refusesWhatBreaksTheProtocol(input: String, message: String) {
        let decoder = NATSServerOperationDecoder(maximumPayloadSize: 1 << 20)
        do {
            _ = try Self.decode([ByteBuffer(string: input)], decoder: decoder)
            Issue.record("\(input.debugDescription) was accepted")
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func writesClientOperationsAsTheProtocolSpellsThem() {
        var buffer = ByteBuffer()
        let operations: [NATSClientOperation] = [
            .connect(#"{"verbose":false}"#), .subscribe(subject: "room", queueGroup: nil, subscriptionID: "1"),
            .publish(subject: "room", replyTo: nil, headers: nil, payload: ByteBuffer(string: "hi")),
            .publish(
                subject: "room",
                replyTo: "r",
                headers: ByteBuffer(string: "NATS/1.0\r\n\r\n"),
                payload: ByteBuffer(string: "x")
            ),
            .unsubscribe(subscriptionID: "1", afterMessages: 5), .ping, .pong,
        ]
        for operation in operations { operation.write(into: &buffer) }
        #expect(
            String(buffer: buffer)
                == "CONNECT {\"verbose\":false}\r\nSUB room 1\r\nPUB room 2\r\nhi\r\nHPUB room r 12 13\r\nNATS/1.0\r\n\r\nx\r\nUNSUB 1 5\r\nPING\r\nPONG\r\n"
        )
    }
}
