import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing
import Wire

@testable import WireChat

/// A browser member's records framed by the member, one buffer per write, past NIO's encoder:
/// the same bytes NIO's encoder writes, in order with the frames that go through it, and counted
/// as written for the member's clock.
struct WebSocketFramedWriterTests {
    /// What NIO's encoder writes for `frame`, as one buffer.
    static func encodedByNIO(_ frame: WebSocketFrame) throws -> ByteBuffer {
        let channel = EmbeddedChannel(handler: WebSocketFrameEncoder())
        try channel.writeOutbound(frame)
        var bytes = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&part) }
        _ = try channel.finish()
        return bytes
    }

    @Test(arguments: [0, 1, 125, 126, 127, 65535, 65536, 70000])
    func aTextFrameIsWhatNIOsEncoderWritesForEveryLengthForm(_ length: Int) throws {
        let payload = ByteBuffer(repeating: UInt8(ascii: "j"), count: length)
        var ours = ByteBuffer()
        WebSocketFramedWriter.appendTextFrame(payload, to: &ours)
        #expect(ours == (try Self.encodedByNIO(WebSocketFrame(fin: true, opcode: .text, data: payload))))
    }

    /// The pipeline of a browser member after the upgrade, with its clock: the writer just before
    /// the encoder, the timeout handler after it.
    static func member(
        _ timeouts: ConnectionTimeouts
    ) throws -> (EmbeddedChannel, EmbeddedEventLoop, WebSocketMember) {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let clock = WebSocketTimeoutHandler(timeouts: timeouts)
        let writer = WebSocketFramedWriter(timeouts: clock)
        try channel.pipeline.syncOperations.addHandlers([writer, WebSocketFrameEncoder(), clock])
        _ = try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1))
        let member = WebSocketMember(channel: channel, writer: NIOLoopBound(writer, eventLoop: loop))
        return (channel, loop, member)
    }

    /// Everything written so far, decoded as frames.
    static func frames(_ channel: EmbeddedChannel) throws -> [WebSocketFrame] {
        var bytes = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&part) }
        let decoder = EmbeddedChannel(handler: ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20)))
        try decoder.writeInbound(bytes)
        var frames: [WebSocketFrame] = []
        while let frame = try decoder.readInbound(as: WebSocketFrame.self) { frames.append(frame) }
        _ = try decoder.finish()
        return frames
    }

    static func record(_ user: String, _ text: String) -> ChatOutgoingRecord {
        ChatOutgoingRecord(user: user, text: ByteBuffer(string: text), position: nil, accounted: 1)
    }

    @Test func recordsGoAsOneWriteOfFramesInOrderWithTheFramesWrittenThroughTheEncoder() async throws {
        let (channel, _, member) = try Self.member(ConnectionTimeouts())
        let written = channel.eventLoop.makePromise(of: Void.self)
        member.writeRecords([Self.record("alice", "one"), Self.record("bob", "two")][...], promise: written)
        channel.write(WebSocketFrame(fin: true, opcode: .pong, data: ByteBuffer(string: "p")), promise: nil)
        member.writeRecords([Self.record("alice", String(repeating: "l", count: 300))][...], promise: nil)
        member.flushFramed()
        try await written.futureResult.get()
        let frames = try Self.frames(channel)
        #expect(frames.map(\.opcode) == [.text, .text, .pong, .text])
        #expect(frames[0].data == ByteBuffer(string: #"{"user":"alice","text":"one"}"#))
        #expect(frames[1].data == ByteBuffer(string: #"{"user":"bob","text":"two"}"#))
        #expect(frames[3].data.readableBytes == 300 + #"{"user":"alice","text":""}"#.utf8.count)
        _ = try? channel.finish()
    }

    /// Records the room made together go as a slice of their run's frames; any part of a run,
    /// in either form, and records of several runs (copied into one buffer) decode the same.
    @Test(arguments: [false, true])
    func aRunOfRecordsMadeTogetherIsWrittenAsItsFramesWhateverPartAndForm(_ positioned: Bool) throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let writer = WebSocketFramedWriter(timeouts: nil)
        try channel.pipeline.syncOperations.addHandlers([writer, WebSocketFrameEncoder()])
        _ = try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1))
        let member = WebSocketMember(
            channel: channel,
            writer: NIOLoopBound(writer, eventLoop: loop),
            positioned: positioned
        )
        let burst = ChatOutgoingRecord.made(
            (0..<4).map { ("alice", ByteBuffer(string: "t\($0)"), ChatPosition(major: 10 + UInt64($0)), 16) }
        )
        let alone = ChatOutgoingRecord(user: "[server]", text: ByteBuffer(string: "note"), position: nil, accounted: 0)
        member.writeRecords(burst[1...2], promise: nil)
        member.writeRecords(ArraySlice([burst[3], alone, burst[0]]), promise: nil)
        // Ends that look like a run around a record of another.
        member.writeRecords(ArraySlice([burst[0], alone, burst[2]]), promise: nil)
        member.flushFramed()
        let texts = try Self.frames(channel).map { String(buffer: $0.data) }
        func json(_ text: String, _ position: UInt64?) -> String {
            let at = positioned ? position.map { ",\"position\":\"\(ChatPosition(major: $0))\"" } ?? "" : ""
            return #"{"user":"alice","text":""# + text + "\"" + at + "}"
        }
        #expect(
            texts == [
                json("t1", 11), json("t2", 12), json("t3", 13), #"{"user":"[server]","text":"note"}"#, json("t0", 10),
                json("t0", 10), #"{"user":"[server]","text":"note"}"#, json("t2", 12),
            ]
        )
        _ = try? channel.finish()
    }

    @Test func recordsWrittenCountAsWrittenForTheMembersClockAndPostponeItsPing() throws {
        let (channel, loop, member) = try Self.member(ConnectionTimeouts(idle: .seconds(60), heartbeat: .seconds(3)))
        loop.advanceTime(by: .seconds(2))
        member.writeRecords([Self.record("alice", "hi")][...], promise: nil)
        member.flushFramed()
        loop.advanceTime(by: .seconds(2))
        #expect(try Self.frames(channel).map(\.opcode) == [.text], "no ping 2 s after a record")
        loop.advanceTime(by: .seconds(1))
        #expect(try Self.frames(channel).map(\.opcode) == [.ping], "3 s after it")
        _ = try? channel.finish()
    }
}
