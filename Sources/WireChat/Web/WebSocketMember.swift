import Logging
import NIOCore
import NIOWebSocket
@_spi(Broadcast) import Wire
import WireFraming

/// A browser in the room: the room hands it records, and it writes each one as a WebSocket text
/// frame holding `{"user": "...", "text": "..."}`. A page that said hello (docs/PROTOCOLS.md
/// §4.1) gets `"position"` too (none for the room's notices); a heartbeat is
/// `{"user":"","text":""}`, and the room's position when it joined `{"user":"","text":"","position":"..."}`.
///
/// Every method runs on the channel's event loop, the one writer of the room's frames.
final class WebSocketMember: ChatRecordSink {
    let channel: any Channel
    /// Where its records go, framed here (``WebSocketFramedWriter``).
    private let writer: NIOLoopBound<WebSocketFramedWriter>
    /// It said hello: its records carry their position.
    private let positioned: Bool
    /// The last write the room made, for an empty ``writeFramed(_:promise:)`` to wait for.
    private let lastWrite: NIOLoopBoundBox<EventLoopFuture<Void>?>

    private let logger: Logger

    init(
        channel: any Channel,
        writer: NIOLoopBound<WebSocketFramedWriter>,
        positioned: Bool = false,
        logger: Logger = Logger(label: "wire.chat.web")
    ) {
        self.channel = channel
        self.writer = writer
        self.logger = logger
        self.positioned = positioned
        // Made off the loop (by the member's task); used only on it.
        self.lastWrite = NIOLoopBoundBox.makeBoxSendingValue(nil, eventLoop: channel.eventLoop)
    }

    var eventLoop: any EventLoop { self.channel.eventLoop }

    func writeRecords(_ records: ArraySlice<ChatOutgoingRecord>, promise: EventLoopPromise<Void>?) {
        guard !records.isEmpty else {
            self.writeFramed(ByteBuffer(), promise: promise)
            return
        }
        // One write: records the room made together as a slice of their frames, each starting
        // where the one before it ends in the same run; others copied into one buffer. (By
        // index: a loop over the records would copy each, and retain all it holds.)
        let (first, last) = (records.startIndex, records.endIndex - 1)
        let run = records[first].run
        var size = 0
        var isRun = true
        for index in records.indices {
            let range = self.range(records, index)
            size += range.count
            isRun =
                isRun && records[index].run === run
                && (index == first || range.lowerBound == self.range(records, index - 1).upperBound)
        }
        let frames: ByteBuffer
        if isRun {
            let start = self.range(records, first).lowerBound
            frames = run.frames(positioned: self.positioned, start..<self.range(records, last).upperBound)
        } else {
            var buffer = self.channel.allocator.buffer(capacity: size)
            for index in records.indices {
                buffer.writeImmutableBuffer(records[index].frame(positioned: self.positioned))
            }
            frames = buffer
        }
        let written = promise ?? self.channel.eventLoop.makePromise()
        self.writer.value.write(framed: frames, promise: written)
        self.lastWrite.value = written.futureResult
    }

    /// Where a record's frame is in its run, in this member's form.
    private func range(_ records: ArraySlice<ChatOutgoingRecord>, _ index: Int) -> Range<Int> {
        self.positioned ? records[index].positionedRange : records[index].plainRange
    }

    /// Waits for what was written before; the room writes a browser's records through
    /// ``writeRecords(_:promise:)`` only, so framed bytes would be a bug: they end this member
    /// rather than the server, with a line in the log.
    func writeFramed(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard bytes.readableBytes == 0 else {
            self.logger.error(
                "the room wrote framed bytes to a browser; closing that browser",
                metadata: ["peer.address": "\(self.channel.remoteAddress?.endpointDescription ?? "unknown")"]
            )
            self.channel.close(promise: nil)
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        guard let promise else { return }
        if let previous = self.lastWrite.value { previous.cascade(to: promise) } else { promise.succeed() }
    }

    func flushFramed() {
        self.channel.flush()
    }

    var unsentBytes: Int {
        WireConnection.unsentBytes(of: self.channel)
    }

    func close() {
        self.channel.close(promise: nil)
    }

    /// One record as a JSON text frame (a refusal, before the member is in the room).
    static func textFrame(user: String, text: String) -> WebSocketFrame {
        WebSocketFrame(
            fin: true,
            opcode: .text,
            data: JSONText.record(user: user, text: ByteBuffer(string: text), position: nil)
        )
    }
}

/// JSON strings, written byte by byte: what needs escaping is escaped, invalid UTF-8 becomes U+FFFD.
enum JSONText {
    /// `{"user":"...","text":"..."}`, with `"position"` when there is one.
    static func record(user: String, text: ByteBuffer, position: String?) -> ByteBuffer {
        var json = ByteBuffer()
        json.reserveCapacity(user.utf8.count + text.readableBytes + (position?.utf8.count ?? 0) + 40)
        json.writeString(#"{"user":"#)
        Self.write(user, into: &json)
        json.writeString(#","text":"#)
        Self.write(String(decoding: text.readableBytesView, as: UTF8.self), into: &json)
        if let position {
            json.writeString(#","position":"#)
            Self.write(position, into: &json)
        }
        json.writeString("}")
        return json
    }

    static func write(_ text: String, into out: inout ByteBuffer) {
        out.writeInteger(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.writeString("\\\"")
            case "\\": out.writeString("\\\\")
            case "\n": out.writeString("\\n")
            case "\r": out.writeString("\\r")
            case "\t": out.writeString("\\t")
            case _ where scalar.value < 0x20 || scalar == "\u{2028}" || scalar == "\u{2029}":
                let hex = String(scalar.value, radix: 16)
                out.writeString("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default:
                out.writeString(String(scalar))
            }
        }
        out.writeInteger(UInt8(ascii: "\""))
    }
}
