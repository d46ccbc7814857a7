import NIOCore
@_spi(Broadcast) import Wire

/// Where the room writes a member's records: a TCP connection in the room's framing, or another
/// kind of member (a browser over WebSocket, ``ChatRecordSink``) that takes the records
/// themselves and encodes each once for its own wire.
///
/// Every method but `eventLoop` runs on `eventLoop`.
protocol ChatMemberSink: Sendable {
    var eventLoop: any EventLoop { get }
    /// Queues records, framed in the room's framing; `promise` succeeds once the member's socket
    /// has taken them. An empty buffer only waits for what was queued before it.
    func writeFramed(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?)
    /// Hands what was queued to the socket.
    func flushFramed()
    /// Bytes queued that the socket has not taken yet: how a member that is still reading shows it.
    var unsentBytes: Int { get }
    /// Closes the member's connection.
    func close()
}

/// A member that takes records rather than bytes framed for TCP members, and encodes them for
/// its own wire (a browser: one JSON text frame each). ``ChatMemberSink/writeFramed(_:promise:)``
/// gets empty buffers only, to wait for what was queued before.
protocol ChatRecordSink: ChatMemberSink {
    /// Queues `records`; `promise` succeeds once the member's socket has taken them.
    func writeRecords(_ records: ArraySlice<ChatOutgoingRecord>, promise: EventLoopPromise<Void>?)
}

/// One record as the room hands it to a ``ChatRecordSink``: who said it, what, and where it sits
/// in the room (`nil` for the room's notices). A heartbeat has an empty user and text; the
/// room's mark (what a member has, when it joins) has only a position.
///
/// Encoded once for every browser, when the room makes it: `{"user":"...","text":"..."}`, and
/// with `"position"` for pages that said hello, each in its WebSocket text frame; the frames of
/// records made together (a burst) lie one after the other in one buffer (``ChatFrameRun``), so
/// that a browser writes a run of them as one slice.
struct ChatOutgoingRecord: Sendable {
    let user: String
    let text: ByteBuffer
    let position: ChatPosition?
    /// What it counts for in the room's flow control: its size in the room's framing (what a
    /// TCP member would be sent; 0 for a heartbeat or mark, which those are not sent).
    let accounted: Int
    /// The frames of the records it was made with, and where its own are (from the buffers'
    /// reader indices): without its position and with it (the same bytes when it has none).
    let run: ChatFrameRun
    let plainRange: Range<Int>
    let positionedRange: Range<Int>

    /// A record made alone.
    init(user: String, text: ByteBuffer, position: ChatPosition?, accounted: Int) {
        self = Self.made([(user, text, position, accounted)])[0]
    }

    private init(
        _ said: (user: String, text: ByteBuffer, position: ChatPosition?, accounted: Int),
        run: ChatFrameRun,
        plainRange: Range<Int>,
        positionedRange: Range<Int>
    ) {
        (self.user, self.text, self.position, self.accounted) = said
        self.run = run
        self.plainRange = plainRange
        self.positionedRange = positionedRange
    }

    /// Records made together: their frames one after the other, in one buffer for each form.
    static func made(
        _ said: [(user: String, text: ByteBuffer, position: ChatPosition?, accounted: Int)]
    ) -> [ChatOutgoingRecord] {
        // About what the JSON takes (escapes may add more): one growth at most, not one per record.
        let estimate = said.reduce(0) { $0 + $1.text.readableBytes + $1.user.utf8.count + 64 }
        var plain = ByteBuffer()
        plain.reserveCapacity(estimate)
        var positioned = ByteBuffer()
        positioned.reserveCapacity(estimate)
        var ranges: [(plain: Range<Int>, positioned: Range<Int>)] = []
        ranges.reserveCapacity(said.count)
        for (user, text, position, _) in said {
            let json = JSONText.record(user: user, text: text, position: nil)
            let plainStart = plain.readableBytes
            WebSocketFramedWriter.appendTextFrame(json, to: &plain)
            let positionedStart = positioned.readableBytes
            WebSocketFramedWriter.appendTextFrame(
                position.map { JSONText.record(user: user, text: text, position: $0.description) } ?? json,
                to: &positioned
            )
            ranges.append((plainStart..<plain.readableBytes, positionedStart..<positioned.readableBytes))
        }
        let run = ChatFrameRun(plain: plain, positioned: positioned)
        return said.indices.map { index in
            ChatOutgoingRecord(
                said[index],
                run: run,
                plainRange: ranges[index].plain,
                positionedRange: ranges[index].positioned
            )
        }
    }

    /// Its frame, without its position (`positioned` false) or with it.
    func frame(positioned: Bool) -> ByteBuffer {
        self.run.frames(positioned: positioned, positioned ? self.positionedRange : self.plainRange)
    }

    var frame: ByteBuffer { self.frame(positioned: false) }
    var positionedFrame: ByteBuffer { self.frame(positioned: true) }
}

/// The WebSocket frames of records the room made together, one after the other.
final class ChatFrameRun: Sendable {
    let plain: ByteBuffer
    let positioned: ByteBuffer

    init(plain: ByteBuffer, positioned: ByteBuffer) {
        self.plain = plain
        self.positioned = positioned
    }

    /// The frames at `range` (from the reader index) of one form, as a slice: nothing is copied.
    func frames(positioned: Bool, _ range: Range<Int>) -> ByteBuffer {
        let buffer = positioned ? self.positioned : self.plain
        return buffer.getSlice(at: buffer.readerIndex + range.lowerBound, length: range.count) ?? ByteBuffer()
    }
}

extension WireConnection: ChatMemberSink {}
