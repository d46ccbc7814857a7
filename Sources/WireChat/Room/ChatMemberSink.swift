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
/// with `"position"` for pages that said hello, each in its WebSocket text frame.
struct ChatOutgoingRecord: Sendable {
    let user: String
    let text: ByteBuffer
    let position: ChatPosition?
    /// What it counts for in the room's flow control: its size in the room's framing (what a
    /// TCP member would be sent; 0 for a heartbeat or mark, which those are not sent).
    let accounted: Int
    /// The record as JSON in a WebSocket text frame, without its position and with it (the same
    /// when it has none): made once, written as they are to every browser.
    let frame: ByteBuffer
    let positionedFrame: ByteBuffer

    init(user: String, text: ByteBuffer, position: ChatPosition?, accounted: Int) {
        self.user = user
        self.text = text
        self.position = position
        self.accounted = accounted
        self.frame = Self.frame(JSONText.record(user: user, text: text, position: nil))
        self.positionedFrame =
            position.map { Self.frame(JSONText.record(user: user, text: text, position: $0.description)) }
            ?? self.frame
    }
}

extension ChatOutgoingRecord {
    private static func frame(_ json: ByteBuffer) -> ByteBuffer {
        var frame = ByteBuffer()
        frame.reserveCapacity(WebSocketFramedWriter.maximumHeaderLength + json.readableBytes)
        WebSocketFramedWriter.appendTextFrame(json, to: &frame)
        return frame
    }
}

extension WireConnection: ChatMemberSink {}
