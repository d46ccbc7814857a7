import NIOCore
import NIOPosix
import Synchronization
import Testing
import Wire

@testable import WireChat

/// Members that take records (browsers) get them as the room received them, never bytes framed
/// for TCP members, and acknowledge them in the room's own count.
struct ChatRecordSinkTests {
    /// A TCP-like member: the room's framed bytes.
    final class FramedSink: ChatMemberSink {
        let eventLoop: any EventLoop
        let received = Mutex(ByteBuffer())

        init(_ loop: any EventLoop) { self.eventLoop = loop }

        func writeFramed(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
            self.received.withLock { _ = $0.writeImmutableBuffer(bytes) }
            promise?.succeed()
        }
        func flushFramed() {}
        var unsentBytes: Int { 0 }
        func close() {}
    }

    /// A browser-like member: the records.
    final class RecordSink: ChatRecordSink {
        let eventLoop: any EventLoop
        let records = Mutex<[ChatOutgoingRecord]>([])
        let framedBytes = Mutex(0)

        init(_ loop: any EventLoop) { self.eventLoop = loop }

        func writeRecords(_ records: ArraySlice<ChatOutgoingRecord>, promise: EventLoopPromise<Void>?) {
            self.records.withLock { $0 += records }
            promise?.succeed()
        }
        func writeFramed(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
            self.framedBytes.withLock { $0 += bytes.readableBytes }
            promise?.succeed()
        }
        func flushFramed() {}
        var unsentBytes: Int { 0 }
        func close() {}
    }

    /// Yields until `condition` holds: waiting for an event, not for a time.
    static func until(_ condition: () -> Bool) async {
        while !condition() { await Task.yield() }
    }

    @Test func aBrowserGetsTheRecordsAndTheRoomCountsThemAsItCountsTCPBytes() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let room = ChatRoom(
            configuration: ChatServerConfiguration(server: ServerConfiguration(port: 0), announcesMembership: false)
        )
        let (sender, reader, browser) = (FramedSink(loop), FramedSink(loop), RecordSink(loop))
        let alice = try room.join(name: "alice", connection: sender, onEvict: { _ in })
        _ = try room.join(name: "bob", connection: reader, onEvict: { _ in })
        let web = try room.join(name: "web", connection: browser, hello: ChatHello(session: "s"), onEvict: { _ in })
        // What the browser got at join: its mark (the room has said nothing yet).
        await Self.until { browser.records.withLock { $0.count } == 1 }
        await room.publish([ByteBuffer(string: "hi"), ByteBuffer(string: "there\n")], from: alice)
        await Self.until { browser.records.withLock { $0.count } == 3 }

        let records = browser.records.withLock { Array($0.dropFirst()) }
        #expect(records.map(\.user) == ["alice", "alice"])
        #expect(records.map { String(buffer: $0.text) } == ["hi", "there\n"])
        #expect(records.allSatisfy { $0.position != nil })
        #expect(browser.framedBytes.withLock { $0 } == 0, "no framed bytes to a browser")
        // Counted as a TCP member is: its records' sizes in the room's framing.
        await Self.until { reader.received.withLock { $0.readableBytes } > 0 }
        #expect(records.map(\.accounted).reduce(0, +) == reader.received.withLock { $0.readableBytes })
        await Self.until { room.state.withLock { $0.machine.members[web]?.pendingBytes } == 0 }
        room.leave(web)
        #expect(room.state.withLock { $0.recordMembers } == 0)
    }
}
