import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing
import Wire

@testable import WireChat

/// A browser member's frames made into the messages its session and relay read, in an
/// `EmbeddedChannel`: a read burst's whole texts as one batch, fragments gathered, pings answered,
/// and each way a member ends with the Close frame it calls for.
struct WebSocketTextsTests {
    static func channel(limit: Int = 100) throws -> (EmbeddedChannel, WebSocketTexts, InboundQueue) {
        let channel = EmbeddedChannel()
        let queue = InboundQueue(channel: channel)
        let texts = WebSocketTexts(queue: queue, maximumMessageSize: limit)
        try channel.pipeline.syncOperations.addHandler(texts)
        _ = try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1))
        return (channel, texts, queue)
    }

    static func frame(_ opcode: WebSocketOpcode, _ text: String = "", fin: Bool = true) -> WebSocketFrame {
        WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(string: text))
    }

    /// Frames that came in one read, then the end of that read.
    static func read(_ frames: [WebSocketFrame], into channel: EmbeddedChannel) {
        for frame in frames {
            channel.pipeline.fireChannelRead(frame)
        }
        channel.pipeline.fireChannelReadComplete()
    }

    static func code(of frame: WebSocketFrame?) -> WebSocketErrorCode? {
        guard let frame, frame.opcode == .connectionClose else { return nil }
        var data = frame.unmaskedData
        return data.readWebSocketErrorCode()
    }

    @Test func theWholeTextsOfOneReadGoToTheRoomAsOneBurstWithFragmentsGatheredAndPingsAnswered() async throws {
        let (channel, texts, queue) = try Self.channel()
        Self.read(
            [
                Self.frame(.text, "one"),
                Self.frame(.text, "tw", fin: false),
                Self.frame(.ping, "are you there"),
                Self.frame(.continuation, "o", fin: true),
                Self.frame(.text, "th", fin: false),
            ],
            into: channel
        )
        #expect(try await queue.next() == [ByteBuffer(string: "one"), ByteBuffer(string: "two")])
        let pong = try channel.readOutbound(as: WebSocketFrame.self)
        #expect(pong?.opcode == .pong)
        #expect(pong?.unmaskedData == ByteBuffer(string: "are you there"))
        // The message left open goes on in the next read.
        Self.read([Self.frame(.continuation, "ree", fin: true)], into: channel)
        #expect(try await queue.nextMessage() == ByteBuffer(string: "three"))
        // A continuation with no message to continue is nothing.
        Self.read([Self.frame(.continuation, "stray"), Self.frame(.text, "four")], into: channel)
        #expect(try await queue.next() == [ByteBuffer(string: "four")])
        #expect(texts.takeCloseFrame(quit: false) == nil, "nothing calls for a close yet")
        _ = try? channel.finish()
    }

    /// What ends a member, and the code of the Close frame it calls for.
    static let endings: [(frames: [WebSocketFrame], code: WebSocketErrorCode)] = [
        ([Self.frame(.connectionClose)], .normalClosure),
        ([Self.frame(.binary, "\u{0}")], .unacceptableData),
        ([Self.frame(.text, "a", fin: false), Self.frame(.text, "b")], .protocolError),
        ([Self.frame(.text, "a", fin: false), Self.frame(.binary, "b")], .protocolError),
        (
            [
                Self.frame(.text, String(repeating: "x", count: 60), fin: false),
                Self.frame(.continuation, String(repeating: "x", count: 60)),
            ], .messageTooLarge
        ),
    ]

    @Test(arguments: 0..<Self.endings.count)
    func eachEndCallsForItsCloseFrameAfterTheWholeTextsBeforeItAndNothingAfterIsRead(_ index: Int) async throws {
        let (channel, texts, queue) = try Self.channel()
        let ending = Self.endings[index]
        Self.read([Self.frame(.text, "before")] + ending.frames + [Self.frame(.text, "after")], into: channel)
        #expect(try await queue.next() == [ByteBuffer(string: "before")])
        #expect(try await queue.next() == nil, "the messages end there")
        #expect(Self.code(of: texts.takeCloseFrame(quit: false)) == ending.code)
        #expect(texts.takeCloseFrame(quit: true) == nil, "one Close frame at most")
        _ = try? channel.finish()
    }

    /// What the session decided wins over what frames it never acted on called for (the handler
    /// reads ahead of it): a binary frame after /quit, or after a refused username.
    @Test func quitCallsForANormalClosureARefusalForItsOwnAndAConnectionThatJustEndedForNone() async throws {
        let (quitting, quitter, _) = try Self.channel()
        Self.read([Self.frame(.text, "/quit"), Self.frame(.binary, "\u{0}")], into: quitting)
        #expect(Self.code(of: quitter.takeCloseFrame(quit: true)) == .normalClosure)
        _ = try? quitting.finish()

        let (refused, refusal, _) = try Self.channel()
        Self.read([Self.frame(.text, "[server]"), Self.frame(.binary, "\u{0}")], into: refused)
        #expect(Self.code(of: refusal.takeCloseFrame(quit: false, decided: .policyViolation)) == .policyViolation)
        _ = try? refused.finish()

        let (ended, texts, queue) = try Self.channel()
        Self.read([Self.frame(.text, "half", fin: false)], into: ended)
        ended.pipeline.fireChannelInactive()
        #expect(try await queue.next() == nil, "a message cut off is none")
        #expect(texts.takeCloseFrame(quit: false) == nil)
        _ = try? ended.finish()
    }
}
