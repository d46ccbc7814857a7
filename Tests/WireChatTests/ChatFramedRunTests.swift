import NIOCore
import NIOPosix
import Synchronization
import Testing
import Wire
import WireFraming

@testable import WireChat

/// A member's drain: small pieces from many senders leave as one write, large ones as they are,
/// and every acknowledgement covers what was written before it.
struct ChatFramedRunTests {
    /// Every write the room makes, as it makes it.
    final class WriteLog: ChatMemberSink {
        struct Write {
            let bytes: ByteBuffer
            let acknowledged: Bool
        }
        let eventLoop: any EventLoop
        let writes = Mutex<[Write]>([])
        let flushes = Mutex(0)

        init(_ loop: any EventLoop) { self.eventLoop = loop }

        func writeFramed(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
            self.writes.withLock { $0.append(Write(bytes: bytes, acknowledged: promise != nil)) }
            promise?.succeed()
        }
        func flushFramed() { self.flushes.withLock { $0 += 1 } }
        var unsentBytes: Int { 0 }
        func close() {}
    }

    static func address(_ buffer: ByteBuffer) -> UInt? {
        buffer.withUnsafeReadableBytes { $0.baseAddress.map { UInt(bitPattern: $0) } }
    }

    @Test func smallPiecesAreCopiedIntoOneWriteAndLargeOnesGoAsTheyAre() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let sink = WriteLog(loop)
        let large = ByteBuffer(repeating: 0x6C, count: ChatRoom.FramedRun.copyLimit + 1)
        let promise = loop.makePromise(of: Void.self)
        var run = ChatRoom.FramedRun()
        run.write(ByteBuffer(string: "a"), promise: nil, to: sink)
        run.write(ByteBuffer(string: "bb"), promise: nil, to: sink)
        run.write(large, promise: nil, to: sink)
        run.write(ByteBuffer(string: "c"), promise: promise, to: sink)
        run.write(ByteBuffer(string: "dd"), promise: nil, to: sink)
        #expect(sink.writes.withLock { $0.count } == 3, "the last piece waits for more, or for the end")
        run.finish(to: sink)
        try await promise.futureResult.get()

        let writes = sink.writes.withLock { $0 }
        #expect(writes.map { String(buffer: $0.bytes) } == ["abb", String(buffer: large), "c", "dd"])
        #expect(writes.map(\.acknowledged) == [false, false, true, false])
        #expect(Self.address(writes[1].bytes) == Self.address(large), "a large piece is never copied")
    }

    @Test func textsFromManySendersBeforeADrainReachAMemberAsOneWriteAndOneFlush() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let room = ChatRoom(
            configuration: ChatServerConfiguration(server: ServerConfiguration(port: 0), announcesMembership: false)
        )
        let reader = WriteLog(loop)
        _ = try room.join(name: "reader", connection: reader, onEvict: { _ in })
        var senders: [ChatRoom.MemberID] = []
        for index in 0..<3 {
            senders.append(try room.join(name: "s\(index)", connection: WriteLog(loop), onEvict: { _ in }))
        }
        let bursts = senders.enumerated().compactMap { index, sender in
            room.burst([ByteBuffer(string: "text \(index)")], from: sender)
        }
        #expect(bursts.count == 3)
        // All three published in one task of the reader's loop: its drain runs after them.
        try await loop.submit {
            for burst in bursts { _ = room.tryPublish(burst, onTurn: nil) }
        }.get()
        await ChatRoomTests.until { reader.flushes.withLock { $0 } == 1 }

        let writes = reader.writes.withLock { $0 }
        #expect(writes.count == 1)
        #expect(writes.first?.acknowledged == true)
        var framed = try #require(writes.first?.bytes)
        var texts: [String] = []
        var decoder = MessageDecoder(framing: .header())
        while let message = try decoder.decode(buffer: &framed) { texts.append(String(buffer: message)) }
        #expect(texts == ["s0", "text 0", "s1", "text 1", "s2", "text 2"])
        // The room heard that the reader's socket took it all.
        await ChatRoomTests.until {
            room.state.withLock { $0.machine.members.members.values.allSatisfy { $0.pendingBytes == 0 } }
        }
    }
}
