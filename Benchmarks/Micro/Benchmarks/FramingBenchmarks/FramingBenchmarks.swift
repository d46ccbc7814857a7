import Benchmark
import NIOCore
import WireFraming

// Micro-benchmarks of the WireFraming codecs.
//
// Scaling: package-benchmark's scaling factors are powers of 1000, so one measured iteration handles
// `benchmark.scaledIterations` = 1,000 messages (`scalingFactor: .kilo`). Every figure the tool marks
// with `*` is therefore per message; run with `--scale` to see per-1,000-message figures, which keep
// malloc counts below one per message visible (scaled counts are rounded to whole numbers).
//
// Workload: each benchmark works through 10,000 messages, 1,000 per iteration, then starts over.
// An encoder writes into one reused ByteBuffer that is cleared after 10,000 messages (capacity kept);
// a decoder reads a pre-encoded buffer of 10,000 messages.

/// Messages in one workload: the encoder's buffer holds this many before it is cleared, and a
/// decoder's pre-encoded input holds this many.
let messagesPerWorkload = 10_000

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )

    let framings: [(name: String, framing: Framing)] = [
        ("header", .header(width: 10)),
        ("length", .length(bytes: 4, endianness: .big)),
        ("lines", .lines),
    ]

    // The harness alone: shows what a measured iteration costs with no codec in it.
    Benchmark("baseline empty loop") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(index)
        }
    }

    // Each benchmark's state is built by its `setup` closure, once before its iterations run.
    for (name, framing) in framings {
        Benchmark("encode \(name) 64B") { benchmark, state in
            state.encode(count: benchmark.scaledIterations.count)
        } setup: {
            EncodeState(framing: framing, payloadSize: 64)
        }

        Benchmark("decode \(name) 64B") { benchmark, state in
            state.decode(count: benchmark.scaledIterations.count)
        } setup: {
            DecodeState(framing: framing, payloadSize: 64)
        }

        Benchmark("process \(name) 64B") { benchmark, state in
            state.process(count: benchmark.scaledIterations.count)
        } setup: {
            DecodeState(framing: framing, payloadSize: 64)
        }
    }

    for (name, framing) in framings where name != "lines" {
        // All 10,000 messages in one buffer of 41 MB.
        Benchmark("decode \(name) 4096B") { benchmark, state in
            state.decode(count: benchmark.scaledIterations.count)
        } setup: {
            DecodeState(framing: framing, payloadSize: 4096)
        }

        // The same messages in ten buffers of 4.1 MB: every message starts below 16 MiB in its buffer.
        Benchmark("decode \(name) 4096B in 1000-message buffers") { benchmark, state in
            state.decode(count: benchmark.scaledIterations.count)
        } setup: {
            DecodeState(framing: framing, payloadSize: 4096, messagesPerBuffer: 1_000)
        }
    }
}

/// A payload of `size` bytes that every framing can carry (no newline).
func makePayload(size: Int) -> ByteBuffer {
    ByteBuffer(repeating: UInt8(ascii: "x"), count: size)
}

/// Encodes messages into one reused buffer, cleared (capacity kept) after every 10,000 messages.
final class EncodeState {
    let encoder: MessageEncoder
    let payload: ByteBuffer
    var output: ByteBuffer
    var messagesInOutput = 0

    init(framing: Framing, payloadSize: Int) {
        self.encoder = MessageEncoder(framing: framing)
        self.payload = makePayload(size: payloadSize)
        let frameSize = payloadSize + self.encoder.overhead(forLength: payloadSize)
        self.output = ByteBuffer()
        self.output.reserveCapacity(frameSize * messagesPerWorkload)
    }

    /// Encodes `count` messages: one measured iteration.
    func encode(count: Int) {
        for _ in 0..<count {
            if self.messagesInOutput == messagesPerWorkload {
                self.output.clear()
                self.messagesInOutput = 0
            }
            do {
                try self.encoder.encode(self.payload, into: &self.output)
            } catch {
                fatalError("encoding failed: \(error)")
            }
            self.messagesInOutput += 1
        }
        blackHole(self.output.writerIndex)
    }
}

/// Pre-encoded input of 10,000 messages, read 1,000 messages per measured iteration.
final class DecodeState {
    /// The input: `messagesPerWorkload` frames, in buffers of `messagesPerBuffer` frames, plus one
    /// spare frame at the end of the last buffer for `process(count:)`'s reads.
    let inputs: [ByteBuffer]
    /// Bytes per message on the wire.
    let frameSize: Int
    /// Bytes of whole messages in each of `inputs`, not counting the spare frame.
    let bytesPerBuffer: Int
    /// Which of `inputs` is being read.
    var inputIndex = 0
    /// What is left of `inputs[inputIndex]`; set to the next input once used up (no copy: same storage).
    var remaining: ByteBuffer
    /// The decoder for `decode(count:)`, called directly.
    var decoder: MessageDecoder
    /// The same decoder as the channel pipeline drives it, for `process(count:)`.
    let processor: NIOSingleStepByteToMessageProcessor<MessageDecoder>
    /// The messages of one read, kept until the read is processed, as `MessageBatchDecoder` keeps them.
    var batch: [ByteBuffer] = []

    init(framing: Framing, payloadSize: Int, messagesPerBuffer: Int = messagesPerWorkload) {
        precondition(messagesPerWorkload % messagesPerBuffer == 0)
        let encoder = MessageEncoder(framing: framing)
        let payload = makePayload(size: payloadSize)
        let frameSize = payloadSize + encoder.overhead(forLength: payloadSize)
        self.frameSize = frameSize
        self.bytesPerBuffer = messagesPerBuffer * frameSize
        let bufferCount = messagesPerWorkload / messagesPerBuffer
        self.inputs = (0..<bufferCount).map { index in
            let frames = messagesPerBuffer + (index == bufferCount - 1 ? 1 : 0)
            var buffer = ByteBuffer()
            buffer.reserveCapacity(frames * frameSize)
            for _ in 0..<frames {
                try! encoder.encode(payload, into: &buffer)
            }
            return buffer
        }
        self.remaining = self.inputs[0]
        self.decoder = MessageDecoder(framing: framing)
        self.processor = NIOSingleStepByteToMessageProcessor(MessageDecoder(framing: framing))
        self.batch.reserveCapacity(messagesPerBuffer)
    }

    /// Decodes the next `count` messages with `MessageDecoder.decode(buffer:)`: one measured iteration.
    func decode(count: Int) {
        for _ in 0..<count {
            if self.remaining.readerIndex == self.bytesPerBuffer {
                self.inputIndex = (self.inputIndex + 1) % self.inputs.count
                self.remaining = self.inputs[self.inputIndex]
            }
            do {
                guard let message = try self.decoder.decode(buffer: &self.remaining) else {
                    fatalError("the input ran out of messages")
                }
                blackHole(message)
            } catch {
                fatalError("decoding failed: \(error)")
            }
        }
    }

    /// Hands `count` messages' worth of bytes to `NIOSingleStepByteToMessageProcessor` as one read, as
    /// `Wire`'s `MessageBatchDecoder` does with each read from a socket: one measured iteration. As
    /// there, the read's messages are kept in a batch until the processor returns.
    ///
    /// Every read starts and ends in the middle of a message, so the processor always keeps a partial
    /// message and appends the next read to it, as it does with real reads. All frames are identical,
    /// so the first half of the spare frame followed by the second half of frame 0 is a valid frame.
    /// Needs a single input buffer.
    func process(count: Int) {
        precondition(self.inputs.count == 1, "process(count:) reads one input buffer")
        let readSize = count * self.frameSize
        if self.processor.unprocessedBytes == 0 {
            // First call: half a frame, so that every read from now on ends mid-message.
            self.remaining.moveReaderIndex(to: 0)
            self.feed(self.remaining.readSlice(length: self.frameSize / 2)!, expecting: 0)
        }
        if self.remaining.readableBytes < readSize {
            self.remaining.moveReaderIndex(to: self.frameSize / 2)
        }
        self.feed(self.remaining.readSlice(length: readSize)!, expecting: count)
    }

    private func feed(_ read: ByteBuffer, expecting expected: Int) {
        do {
            try self.processor.process(buffer: read) { message in
                self.batch.append(message)
            }
        } catch {
            fatalError("decoding failed: \(error)")
        }
        precondition(self.batch.count == expected, "decoded \(self.batch.count) messages, expected \(expected)")
        blackHole(self.batch)
        self.batch.removeAll(keepingCapacity: true)
    }
}
