import Dispatch
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard input as it comes, in chunks of bytes, read on a thread of their own so that a terminal
/// waiting for input never blocks the event loops. Nothing is decoded or changed. At most `window`
/// chunks are read ahead of the consumer, so piping in a file of any size buffers little of it.
struct StandardInputChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    static let chunkSize = 64 * 1024

    private let stream: AsyncStream<ByteBuffer>
    private let credits: DispatchSemaphore

    init(descriptor: Int32 = STDIN_FILENO, window: Int = 16) {
        // Created at 0 and then signalled: libdispatch traps when a semaphore is disposed of with a
        // value below the one it was created with, which a reader thread stopped mid-window would do.
        let credits = DispatchSemaphore(value: 0)
        for _ in 0..<window {
            credits.signal()
        }
        self.credits = credits
        self.stream = AsyncStream(bufferingPolicy: .unbounded) { continuation in
            let thread = Thread {
                var bytes = [UInt8](repeating: 0, count: Self.chunkSize)
                while true {
                    credits.wait()
                    let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR {
                        credits.signal()
                        continue
                    }
                    // The end of input, or an error reading it (a closed descriptor): both end it.
                    guard count > 0 else { break }
                    if case .terminated = continuation.yield(ByteBuffer(bytes: bytes[0..<count])) { return }
                }
                continuation.finish()
            }
            thread.start()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.stream.makeAsyncIterator(), credits: self.credits)
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<ByteBuffer>.AsyncIterator
        let credits: DispatchSemaphore

        mutating func next() async -> ByteBuffer? {
            let chunk = await self.base.next()
            if chunk != nil {
                self.credits.signal()
            }
            return chunk
        }
    }
}

/// How standard input is cut into messages.
enum InputSplitting: Sendable {
    /// Chunks as they are read: a byte stream, for raw framing.
    case stream
    /// One message per line; the `\n` (and a `\r` before it) is not part of the message.
    case lines
    /// One message per NUL-terminated record, for binary payloads (`find -print0`, `xargs -0`).
    case nullSeparated
    /// All of standard input is one message.
    case whole
}

/// Standard input that does not fit the message size limit.
struct InputTooLarge: Error, CustomStringConvertible {
    let splitting: InputSplitting
    let limit: Int

    var description: String {
        switch self.splitting {
        case .whole: return "standard input is longer than --max-message-size (\(limit) bytes)"
        case .nullSeparated:
            return "a NUL-separated record of standard input is longer than --max-message-size (\(limit) bytes)"
        case .lines, .stream: return "a line of standard input is longer than --max-message-size (\(limit) bytes)"
        }
    }
}

/// The messages of standard input, cut as `splitting` says, byte for byte.
struct StandardInputMessages: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let splitting: InputSplitting
    let maximumMessageSize: Int
    let chunks: StandardInputChunks

    init(_ splitting: InputSplitting, maximumMessageSize: Int, chunks: StandardInputChunks = StandardInputChunks()) {
        self.splitting = splitting
        self.maximumMessageSize = maximumMessageSize
        self.chunks = chunks
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(
            chunks: self.chunks.makeAsyncIterator(),
            splitter: MessageSplitter(self.splitting, maximumMessageSize: self.maximumMessageSize)
        )
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: StandardInputChunks.AsyncIterator
        var splitter: MessageSplitter
        var ended = false

        mutating func next() async throws -> ByteBuffer? {
            while true {
                if let message = try self.splitter.next(atEnd: self.ended) {
                    return message
                }
                if self.ended { return nil }
                if let chunk = await self.chunks.next() {
                    self.splitter.append(chunk)
                } else {
                    self.ended = true
                }
            }
        }
    }
}

/// Cuts a byte stream into messages; separate from reading, so that it is tested on its own.
struct MessageSplitter {
    private(set) var splitting: InputSplitting
    let maximumMessageSize: Int
    private var pending = ByteBuffer()
    /// How far `pending` is known to hold no separator.
    private var searched = 0

    init(_ splitting: InputSplitting, maximumMessageSize: Int) {
        self.splitting = splitting
        self.maximumMessageSize = maximumMessageSize
    }

    mutating func append(_ chunk: ByteBuffer) {
        var chunk = chunk
        if self.pending.readableBytes == 0 {
            self.pending = chunk
            self.searched = 0
        } else {
            self.pending.writeBuffer(&chunk)
        }
    }

    /// The next whole message, or `nil` if more input is needed; at the end, what is left.
    mutating func next(atEnd: Bool) throws(InputTooLarge) -> ByteBuffer? {
        switch self.splitting {
        case .stream:
            guard self.pending.readableBytes > 0 else { return nil }
            defer { self.pending = ByteBuffer() }
            return self.pending
        case .whole:
            guard self.pending.readableBytes <= self.maximumMessageSize else {
                throw InputTooLarge(splitting: self.splitting, limit: self.maximumMessageSize)
            }
            guard atEnd else { return nil }
            defer { self.splitting = .stream }
            let message = self.pending
            self.pending = ByteBuffer()
            return message
        case .lines, .nullSeparated:
            let separator = self.splitting == .lines ? UInt8(ascii: "\n") : 0
            let view = self.pending.readableBytesView
            if let index = view[(view.startIndex + self.searched)...].firstIndex(of: separator) {
                let length = index - view.startIndex
                guard var message = self.pending.readSlice(length: length) else { return nil }
                self.pending.moveReaderIndex(forwardBy: 1)
                self.searched = 0
                if self.splitting == .lines, message.readableBytesView.last == UInt8(ascii: "\r") {
                    message.moveWriterIndex(to: message.writerIndex - 1)
                }
                guard message.readableBytes <= self.maximumMessageSize else {
                    throw InputTooLarge(splitting: self.splitting, limit: self.maximumMessageSize)
                }
                return message
            }
            self.searched = view.count
            guard self.pending.readableBytes <= self.maximumMessageSize + 1 else {
                throw InputTooLarge(splitting: self.splitting, limit: self.maximumMessageSize)
            }
            guard atEnd, self.pending.readableBytes > 0 else { return nil }
            // A last line without its newline is still a line.
            var message = self.pending
            self.pending = ByteBuffer()
            if self.splitting == .lines, message.readableBytesView.last == UInt8(ascii: "\r") {
                message.moveWriterIndex(to: message.writerIndex - 1)
            }
            return message
        }
    }
}
