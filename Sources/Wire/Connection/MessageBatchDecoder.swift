import NIOCore
import WireFraming

/// Decodes the bytes of a read burst into messages and hands them to the consumer as one batch.
///
/// `ByteToMessageHandler` sends every message through the pipeline on its own, and an async
/// bridge then hands each one to the consumer separately. Here a whole read burst (up to
/// `channelReadComplete`) becomes one `[ByteBuffer]` in the connection's ``InboundQueue``, so the
/// consumer takes one hop per burst and then iterates plain array elements. Messages are slices of
/// the received bytes, never copies. Reads are held while the queue is full (backpressure).
final class MessageBatchDecoder: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A batch is passed on early once its messages hold this many bytes.
    static let maximumBatchBytes = 1 << 22

    private var decoder: MessageDecoder
    /// Bytes received but not yet decoded; `nil` when everything was, so that an idle connection
    /// holds no receive buffer.
    private var cumulation: ByteBuffer?
    private var batch: [ByteBuffer] = []
    private var batchBytes = 0
    private var finished = false

    private let queue: InboundQueue
    private let timeouts: ConnectionTimeouts
    private var connectedAt = NIODeadline.now()
    private var lastActivity = NIODeadline.now()
    private var lastWrite = NIODeadline.now()
    private var sawMessage = false
    /// The empty message sent as a heartbeat, in the connection's framing; `nil` without heartbeats.
    private let heartbeatFrame: ByteBuffer?
    private var timer: Scheduled<Void>?

    init(decoder: MessageDecoder, queue: InboundQueue, timeouts: ConnectionTimeouts = ConnectionTimeouts()) {
        self.decoder = decoder
        self.queue = queue
        self.timeouts = timeouts
        if timeouts.heartbeat != nil, decoder.framing.allowsEmptyMessages {
            let encoder = MessageEncoder(framing: decoder.framing)
            var frame = ByteBuffer()
            encoder.writePrefix(length: 0, into: &frame)
            encoder.writeSuffix(into: &frame)
            self.heartbeatFrame = frame
        } else {
            self.heartbeatFrame = nil
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            self.startTimer(context: context)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.startTimer(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if self.timeouts.idle != nil || self.heartbeatFrame != nil {
            let now = NIODeadline.now()
            self.lastActivity = now
            self.lastWrite = now
        }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        if !self.finished && self.queue.mayRead() {
            context.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.finished else { return }
        var input = Self.unwrapInboundIn(data)
        if var buffer = self.cumulation {
            self.cumulation = nil  // one reference only, so the append below does not copy
            buffer.writeBuffer(&input)
            input = buffer
        }
        do {
            while let message = try self.decoder.decode(buffer: &input) {
                self.append(message, context: context)
            }
            self.keep(input)
        } catch {
            self.fail(error, context: context)
        }
    }

    private func keep(_ remainder: ByteBuffer) {
        guard remainder.readableBytes > 0 else { return }
        var remainder = remainder
        if let length = self.decoder.awaitedBodyLength, length > remainder.readableBytes {
            // Room for the whole body now: the reads still to come are appended without regrowing.
            remainder.discardReadBytes()
            remainder.reserveCapacity(minimumWritableBytes: length - remainder.readableBytes)
        } else if remainder.readerIndex > 1024 && remainder.readerIndex > remainder.readableBytes {
            // Move a partial message to the front once the consumed part dominates.
            remainder.discardReadBytes()
        }
        self.cumulation = remainder
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.passOnBatch(context: context)
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent {
            self.finish(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        self.finish(context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.finished = true
        self.passOnBatch(context: context)
        self.queue.finish(error)
    }

    private func append(_ message: ByteBuffer, context: ChannelHandlerContext) {
        if self.heartbeatFrame != nil && message.readableBytes == 0 {
            // A heartbeat: it proves the peer is there, and is not a message for the reader.
            self.lastActivity = .now()
            return
        }
        self.batch.append(message)
        self.batchBytes += message.readableBytes
        if self.batchBytes >= Self.maximumBatchBytes {
            self.passOnBatch(context: context)
        }
    }

    /// The stream ended: a partial message left over is an error, reported after the messages before it.
    private func finish(context: ChannelHandlerContext) {
        guard !self.finished else { return }
        var remainder = self.cumulation ?? ByteBuffer()
        self.cumulation = nil
        do {
            while let message = try self.decoder.decodeLast(buffer: &remainder, seenEOF: true) {
                self.append(message, context: context)
                if remainder.readableBytes == 0 { break }
            }
            self.finished = true
            self.passOnBatch(context: context)
            self.queue.finish(nil)
        } catch {
            self.fail(error, context: context)
        }
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        self.finished = true
        self.passOnBatch(context: context)
        self.queue.finish(error)
    }

    private func passOnBatch(context: ChannelHandlerContext) {
        guard !self.batch.isEmpty else { return }
        if self.timeouts.idle != nil || !self.sawMessage {
            self.lastActivity = .now()
            self.sawMessage = true
        }
        let batch = self.batch
        let bytes = self.batchBytes
        self.batch = []
        self.batchBytes = 0
        self.queue.push(batch, bytes: bytes)
    }
}

// MARK: Timeouts
extension MessageBatchDecoder {
    /// When the connection times out if nothing else happens first, or `nil` if it never does.
    private var deadline: NIODeadline? {
        var deadlines: [NIODeadline] = []
        if let idle = self.timeouts.idle {
            deadlines.append(self.lastActivity + TimeAmount(idle))
        }
        if let first = self.timeouts.firstMessage, !self.sawMessage {
            deadlines.append(self.connectedAt + TimeAmount(first))
        }
        if let heartbeat = self.timeouts.heartbeat, self.heartbeatFrame != nil {
            deadlines.append(self.lastWrite + TimeAmount(heartbeat))
        }
        return deadlines.min()
    }

    private func startTimer(context: ChannelHandlerContext) {
        guard self.timer == nil, !self.finished else { return }
        self.connectedAt = .now()
        self.lastActivity = self.connectedAt
        self.lastWrite = self.connectedAt
        self.scheduleTimer(context: context)
    }

    /// One timer per connection, moved only when it fires: activity just updates a timestamp.
    private func scheduleTimer(context: ChannelHandlerContext) {
        guard let deadline = self.deadline else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.timerFired(context: context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        self.timer = nil
        guard !self.finished else { return }
        let now = NIODeadline.now()
        if let heartbeat = self.timeouts.heartbeat, let frame = self.heartbeatFrame,
            self.lastWrite + TimeAmount(heartbeat) <= now
        {
            // Written past this handler, so it does not count as our own activity for the idle
            // timeout: only what the peer sends proves it is alive.
            self.lastWrite = now
            context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
        }
        let peer = context.channel.remoteAddress?.endpointDescription ?? "peer"
        if let first = self.timeouts.firstMessage, !self.sawMessage,
            self.connectedAt + TimeAmount(first) <= now
        {
            self.fail(ConnectionError.firstMessageTimeout(peer: peer, after: first), context: context)
            context.close(promise: nil)
        } else if let idle = self.timeouts.idle, self.lastActivity + TimeAmount(idle) <= now {
            self.fail(ConnectionError.idleTimeout(peer: peer, after: idle), context: context)
            context.close(promise: nil)
        } else {
            self.scheduleTimer(context: context)
        }
    }
}

/// How long a connection may wait for messages before it is closed.
struct ConnectionTimeouts: Sendable {
    /// No message either way for this long closes the connection.
    var idle: Duration?
    /// No complete message from the peer this long after connecting closes the connection.
    var firstMessage: Duration?
    /// With nothing sent for this long, an empty message goes out; empty messages received are
    /// heartbeats, not messages. Only in framings that have empty messages (not raw).
    var heartbeat: Duration?
}

@available(*, unavailable)
extension MessageBatchDecoder: Sendable {}
