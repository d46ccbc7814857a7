import Logging
import NIOCore
import NIOWebSocket
@_spi(Broadcast) import Wire
import WireFraming

/// A browser in the room: the room hands it records framed for TCP members, and it writes each
/// one as a WebSocket text frame holding `{"user": "...", "text": "..."}`. A page that said hello
/// (docs/PROTOCOLS.md §4.1) gets records of three frames, written with `"position"` too (none
/// for the room's notices); a heartbeat is `{"user":"","text":""}`, and the room's position when
/// it joined `{"user":"","text":"","position":"..."}`.
///
/// Records may arrive split across writes (the room writes in slices), so the framed bytes are
/// decoded incrementally; every method runs on the channel's event loop.
final class WebSocketMember: ChatMemberSink {
    private struct State {
        var decoder: MessageDecoder
        var pending = ByteBuffer()
        /// The frames of the record being read (username, text).
        var fields: [ByteBuffer] = []
        var lastWrite: EventLoopFuture<Void>?
    }

    let channel: any Channel
    /// 3 after a hello (username, text, position), else 2.
    private let framesPerRecord: Int
    private let state: NIOLoopBoundBox<State>

    private let logger: Logger

    init(
        channel: any Channel,
        framing: Framing,
        positioned: Bool = false,
        logger: Logger = Logger(label: "wire.chat.web")
    ) {
        self.channel = channel
        self.logger = logger
        self.framesPerRecord = positioned ? 3 : 2
        // Made off the loop (by the member's task); used only on it.
        self.state = NIOLoopBoundBox.makeBoxSendingValue(
            State(decoder: MessageDecoder(framing: framing, maximumMessageSize: Int.max)),
            as: State.self,
            eventLoop: channel.eventLoop
        )
    }

    var eventLoop: any EventLoop { self.channel.eventLoop }

    func writeFramed(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
        var state = self.state.value
        defer { self.state.value = state }
        var input = bytes
        state.pending.writeBuffer(&input)
        var frames: [WebSocketFrame] = []
        // The room only ever writes whole frames of its own framing: nothing here can fail, but a
        // decoding error would mean a bug, so it ends this member rather than the server.
        do {
            while let frame = try state.decoder.decode(buffer: &state.pending) {
                guard state.fields.count + 1 == self.framesPerRecord else {
                    state.fields.append(frame)
                    continue
                }
                let (user, text) = (state.fields[0], self.framesPerRecord == 3 ? state.fields[1] : frame)
                let position = self.framesPerRecord == 3 && frame.readableBytes > 0 ? frame : nil
                state.fields.removeAll(keepingCapacity: true)
                frames.append(
                    Self.textFrame(user: user, text: text, position: position, allocator: self.channel.allocator)
                )
            }
        } catch {
            self.logger.error(
                "a record for a browser did not decode in the room's framing; closing that browser",
                metadata: [
                    "peer.address": "\(self.channel.remoteAddress?.endpointDescription ?? "unknown")",
                    "error": "\(error)",
                ]
            )
            self.channel.close(promise: nil)
        }
        state.pending.discardReadBytes()
        guard let last = frames.popLast() else {
            // Nothing whole yet, or an empty write that waits for what came before.
            if let promise {
                if let previous = state.lastWrite { previous.cascade(to: promise) } else { promise.succeed() }
            }
            return
        }
        for frame in frames {
            self.channel.write(frame, promise: nil)
        }
        let written = promise ?? self.channel.eventLoop.makePromise()
        self.channel.write(last, promise: written)
        state.lastWrite = written.futureResult
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

    /// One record as a JSON text frame.
    static func textFrame(
        user: ByteBuffer,
        text: ByteBuffer,
        position: ByteBuffer? = nil,
        allocator: ByteBufferAllocator
    ) -> WebSocketFrame {
        var json = allocator.buffer(capacity: user.readableBytes + text.readableBytes + 48)
        json.writeString(#"{"user":"#)
        JSONText.write(user, into: &json)
        json.writeString(#","text":"#)
        JSONText.write(text, into: &json)
        if let position {
            json.writeString(#","position":"#)
            JSONText.write(position, into: &json)
        }
        json.writeString("}")
        return WebSocketFrame(fin: true, opcode: .text, data: json)
    }
}

/// JSON strings, written byte by byte: what needs escaping is escaped, invalid UTF-8 becomes U+FFFD.
enum JSONText {
    static func write(_ bytes: ByteBuffer, into out: inout ByteBuffer) {
        let text = String(decoding: bytes.readableBytesView, as: UTF8.self)
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
