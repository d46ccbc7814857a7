import CoreMetrics
import NIOCore
import WireFraming

/// Decodes the bytes of a read burst into messages and hands them to the consumer as one batch.
///
/// `ByteToMessageHandler` sends every message through the pipeline on its own, and an async
/// bridge then hands each one to the consumer separately. Here a whole read burst (up to
/// `channelReadComplete`) becomes one `[ByteBuffer]` in the connection's ``InboundQueue``, so the
/// consumer takes one hop per burst and then iterates plain array elements. Messages are slices of
/// the received bytes, never copies. Reads are held while the queue is full (backpressure). The
/// peer's activity (messages, heartbeats) is reported to the ``ConnectionTimeoutHandler`` after it.
final class MessageBatchDecoder: ChannelDuplexHandler {
    // Duplex for `read`: reads are held while the reader's queue is full.
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
    /// Empty messages are heartbeats (reported, not passed on); with heartbeats in a framing that
    /// has empty messages.
    private let filtersHeartbeats: Bool
    /// Whether a ``ConnectionTimeoutHandler`` after this one wants to hear of the peer's activity.
    private let reportsActivity: Bool
    /// A server's: bytes received are counted once per read burst, framing errors once each.
    private let metrics: ConnectionMetrics?
    private var receivedBytes = 0

    init(
        decoder: MessageDecoder,
        queue: InboundQueue,
        timeouts: ConnectionTimeouts = ConnectionTimeouts(),
        metrics: ConnectionMetrics? = nil
    ) {
        self.decoder = decoder
        self.queue = queue
        self.metrics = metrics
        self.filtersHeartbeats = timeouts.heartbeat != nil && decoder.framing.allowsEmptyMessages
        self.reportsActivity = timeouts.areSet
    }

    func read(context: ChannelHandlerContext) {
        if !self.finished && self.queue.mayRead() {
            context.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.finished else { return }
        var input = Self.unwrapInboundIn(data)
        self.receivedBytes += input.readableBytes
        do {
            if var buffer = self.cumulation {
                self.cumulation = nil  // one reference only, so the appends below do not copy
                if self.decoder.declaresLengths {
                    guard try self.complete(&buffer, from: &input, context: context) else { return }
                } else {
                    buffer.writeBuffer(&input)
                    input = buffer
                }
            }
            while let message = try self.decoder.decode(buffer: &input) {
                self.append(message, context: context)
            }
            self.keep(input)
        } catch {
            self.fail(error, context: context)
        }
    }

    /// Completes the message that `buffer` (what was kept of the last read) began with the bytes
    /// of `input` it still needs, and no more: the rest of `input` is then decoded where it lies,
    /// never copied. Only for framings that declare lengths. Returns `false` when `input` ran out
    /// first (what there is was kept); otherwise `input` holds what comes after the message.
    private func complete(
        _ buffer: inout ByteBuffer,
        from input: inout ByteBuffer,
        context: ChannelHandlerContext
    ) throws -> Bool {
        while input.readableBytes > 0 {
            // The body's missing bytes once the header is in; the header a byte at a time (it is
            // split across reads at most once per read).
            let missing = self.decoder.awaitedBodyLength.map { $0 - buffer.readableBytes } ?? 1
            let length = min(max(missing, 1), input.readableBytes)
            buffer.writeBytes(input.readableBytesView.prefix(length))
            input.moveReaderIndex(forwardBy: length)
            if let message = try self.decoder.decode(buffer: &buffer) {
                self.append(message, context: context)
                if buffer.readableBytes > 0 {
                    // Not expected (exactly the missing bytes were taken); decoded from one buffer.
                    buffer.writeBuffer(&input)
                    input = buffer
                }
                return true
            }
        }
        self.keep(buffer)
        return false
    }

    private func keep(_ remainder: ByteBuffer) {
        guard remainder.readableBytes > 0 else { return }
        var remainder = remainder
        if let length = self.decoder.awaitedBodyLength, length > remainder.readableBytes {
            // Room for the whole body now: the reads still to come are appended without regrowing.
            remainder.discardReadBytes()
            remainder.reserveCapacity(minimumWritableBytes: length - remainder.readableBytes)
        } else if remainder.readerIndex > 1024 && remainder.readerIndex > remainder.readableBytes {
            // A partial message at the end of a large read: copied alone into a buffer its size,
            // rather than moved to the front of a copy of the whole read (the messages before it
            // still share the read's storage).
            var alone = ByteBufferAllocator().buffer(capacity: max(64, remainder.readableBytes))
            alone.writeBuffer(&remainder)
            remainder = alone
        }
        self.cumulation = remainder
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.countReceived()
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
        self.finish(context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.finished = true
        self.passOnBatch(context: context)
        self.queue.finish(error)
    }

    private func append(_ message: ByteBuffer, context: ChannelHandlerContext) {
        if self.filtersHeartbeats && message.readableBytes == 0 {
            // A heartbeat: it proves the peer is there, and is not a message for the reader.
            context.fireUserInboundEventTriggered(ConnectionActivity.heartbeat)
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
        self.countReceived()
        if error is FramingError {
            self.metrics?.framingErrors.increment()
        }
        self.finished = true
        self.passOnBatch(context: context)
        self.queue.finish(error)
    }

    private func countReceived() {
        guard self.receivedBytes > 0 else { return }
        self.metrics?.receivedBytes.increment(by: self.receivedBytes)
        self.receivedBytes = 0
    }

    private func passOnBatch(context: ChannelHandlerContext) {
        guard !self.batch.isEmpty else { return }
        if self.reportsActivity {
            context.fireUserInboundEventTriggered(ConnectionActivity.messages)
        }
        let batch = self.batch
        let bytes = self.batchBytes
        self.batch = []
        self.batchBytes = 0
        self.queue.push(batch, bytes: bytes)
    }
}

@available(*, unavailable)
extension MessageBatchDecoder: Sendable {}
