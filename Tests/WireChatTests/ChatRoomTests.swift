import MetricsTestKit
import NIOCore
import NIOPosix
import Synchronization
import Testing
import Wire

@testable import WireChat

/// The room without a socket: fake members on one event loop. The history, what a member that
/// comes back missed, other nodes and a split; members that take records (browsers) get them as
/// the room received them, never bytes framed for TCP members, and acknowledge them in the
/// room's own count.
struct ChatRoomTests {
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
        // Encoded once for every browser: with the position for pages that said hello.
        let position = try #require(records[0].position)
        // Each in its WebSocket text frame (FIN, text; a length under 126 in one byte).
        func frame(_ json: String) -> [UInt8] { [0x81, UInt8(json.utf8.count)] + Array(json.utf8) }
        #expect(Array(records[0].frame.readableBytesView) == frame(#"{"user":"alice","text":"hi"}"#))
        #expect(
            Array(records[1].positionedFrame.readableBytesView)
                == frame(
                    #"{"user":"alice","text":"there\n","position":"# + "\"\(ChatPosition(major: position.major + 1))\"}"
                )
        )
        #expect(browser.framedBytes.withLock { $0 } == 0, "no framed bytes to a browser")
        // Counted as a TCP member is: its records' sizes in the room's framing.
        await Self.until { reader.received.withLock { $0.readableBytes } > 0 }
        #expect(records.map(\.accounted).reduce(0, +) == reader.received.withLock { $0.readableBytes })
        await Self.until { room.state.withLock { $0.machine.members.members[web]?.pendingBytes } == 0 }
        room.leave(web)
        #expect(room.state.withLock { $0.machine.recordMembers } == 0)
    }

    /// A member whose socket takes nothing: its records stay pending.
    final class StuckSink: ChatMemberSink {
        let eventLoop: any EventLoop
        /// Written at last by ``unstick()``, at the end of the test.
        let promises = Mutex<[EventLoopPromise<Void>]>([])
        init(_ loop: any EventLoop) { self.eventLoop = loop }
        func writeFramed(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
            if let promise { self.promises.withLock { $0.append(promise) } }
        }
        func unstick() {
            for promise in self.promises.withLock({ $0 }) { promise.succeed() }
        }
        func flushFramed() {}
        var unsentBytes: Int { 0 }
        func close() {}
    }

    @Test func theRoomRecordsTextsDeliveriesAndItsLoadThroughTheFactoryItIsGiven() async throws {
        let metrics = TestMetrics()
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let room = ChatRoom(
            configuration: ChatServerConfiguration(
                server: ServerConfiguration(port: 0, metricsFactory: metrics),
                announcesMembership: false
            )
        )
        let (sender, reader) = (FramedSink(loop), FramedSink(loop))
        let alice = try room.join(name: "alice", connection: sender, onEvict: { _ in })
        let bob = try room.join(name: "bob", connection: reader, onEvict: { _ in })
        await room.publish([ByteBuffer(string: "hi"), ByteBuffer(string: "there")], from: alice)
        #expect(try metrics.expectCounter("wire_chat_texts_received_total").totalValue == 2)
        #expect(try metrics.expectCounter("wire_chat_records_delivered_total").totalValue == 2)

        // A third member whose socket takes nothing: what waits for it is the room's load.
        let stuck = StuckSink(loop)
        defer { stuck.unstick() }
        let carol = try room.join(name: "carol", connection: stuck, onEvict: { _ in })
        await room.publish([ByteBuffer(string: "again")], from: alice)
        #expect(try metrics.expectCounter("wire_chat_records_delivered_total").totalValue == 4)
        await Self.until { stuck.promises.withLock { !$0.isEmpty } }
        // Bob's socket takes everything: once his drain is through, only carol's bytes wait.
        await Self.until { room.state.withLock { $0.machine.members.members[bob]?.pendingBytes } == 0 }
        let pending = try #require(room.state.withLock { $0.machine.members.members[carol]?.pendingBytes })
        #expect(pending > 0)
        room.tick()
        #expect(try metrics.expectMeter("wire_chat_slowest_member_queued_bytes").lastValue == Double(pending))
        #expect(try metrics.expectMeter("wire_chat_held_senders").lastValue == 0)
        // Nothing of NATS in a room on one node.
        #expect(throws: (any Error).self) { try metrics.expectCounter("wire_chat_nats_reconnects_total") }
    }

    /// A room with fake members on one event loop: no socket anywhere.
    static func room(history: Int = 0, announces: Bool = true) -> ChatRoom {
        ChatRoom(
            configuration: ChatServerConfiguration(
                server: ServerConfiguration(port: 0),
                historySize: history,
                announcesMembership: announces
            )
        )
    }

    /// "user > text" for each record `sink` has got, heartbeats and marks left out.
    static func lines(_ sink: RecordSink) -> [String] {
        sink.records.withLock { records in
            records.filter { !$0.user.isEmpty }.map { "\($0.user) > \(String(buffer: $0.text))" }
        }
    }

    @Test func aNewcomerGetsTheHistoryMarkedAndThenWhatIsSaid() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let room = Self.room(history: 2)
        let (alice, newcomer) = (RecordSink(loop), RecordSink(loop))
        let id = try room.join(name: "alice", connection: alice, onEvict: { _ in })
        for text in ["one", "two", "three"] {
            await room.publish([ByteBuffer(string: text)], from: id)
        }
        _ = try room.join(name: "bob", connection: newcomer, onEvict: { _ in })
        await room.publish([ByteBuffer(string: "four")], from: id)
        await Self.until { Self.lines(newcomer).count == 5 }
        #expect(
            Self.lines(newcomer) == [
                "[server] > history: the last 2 texts", "alice > two", "alice > three", "[server] > end of history",
                "alice > four",
            ]
        )
        await Self.until { Self.lines(alice).count == 1 }
        #expect(Self.lines(alice) == ["[server] > bob joined"], "nobody gets their own texts back")
    }

    @Test func aMemberThatComesBackGetsWhatItMissedOnceAndNotItsOwn() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let room = Self.room(announces: false)
        let (alice, bob, bobAgain) = (RecordSink(loop), RecordSink(loop), RecordSink(loop))
        let aliceID = try room.join(name: "alice", connection: alice, onEvict: { _ in })
        let bobID = try room.join(name: "bob", connection: bob, hello: ChatHello(session: "b"), onEvict: { _ in })
        await room.publish([ByteBuffer(string: "before")], from: aliceID)
        await Self.until { Self.lines(bob).count == 1 }
        let last = try #require(bob.records.withLock { $0.last?.position })
        await room.publish([ByteBuffer(string: "said by bob")], from: bobID)
        room.leave(bobID)
        await room.publish([ByteBuffer(string: "missed 1"), ByteBuffer(string: "missed 2")], from: aliceID)
        _ = try room.join(
            name: "bob",
            connection: bobAgain,
            hello: ChatHello(session: "b", resume: last),
            onEvict: { _ in }
        )
        await Self.until { Self.lines(bobAgain).count == 3 }
        #expect(
            Self.lines(bobAgain) == ["[server] > missed while away: 2 texts", "alice > missed 1", "alice > missed 2"]
        )
    }

    @Test func anotherNodesTextsAndMembersAndASplitReachTheMembersHere() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let room = Self.room()
        let alice = RecordSink(loop)
        let id = try room.join(name: "alice", connection: alice, onEvict: { _ in })
        room.updateRemote(node: "b", names: ["carol"], isBehind: false)
        let (refused, _) = room.receiveRemote([(name: "carol", text: ByteBuffer(string: "hello from b"))], from: "b")
        #expect(refused == 0)
        room.answerWho(id)
        room.setSplit(true)
        room.answerWho(id)
        room.setSplit(false)
        await Self.until { Self.lines(alice).count == 6 }
        #expect(
            Self.lines(alice) == [
                "[server] > carol joined", "carol > hello from b", "[server] > online: alice, carol",
                "[server] > room split: the other nodes are out of reach until NATS is back",
                "[server] > online: alice, carol (the other nodes are out of reach)",
                "[server] > room whole again: the other nodes are back",
            ]
        )
    }
}
