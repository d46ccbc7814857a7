import NIOCore
import NIOEmbedded
import Testing
import WireFraming

@testable import Wire

/// The batching decoder over every way a read burst can be cut: a message that straddles two
/// reads is completed from the front of the next read (the rest of that read decoded where it
/// lies), and what comes out is the same messages, in order, whatever the cuts.
struct BatchDecoderSplitTests {
    static let messages = ["hello", "", "abc", String(repeating: "x", count: 1500), "z", "last one"]

    static func stream(_ framing: Framing) throws -> [UInt8] {
        let encoder = MessageEncoder(framing: framing)
        var out = ByteBuffer()
        for message in Self.messages {
            try encoder.encode(ByteBuffer(string: message), into: &out)
        }
        return Array(out.readableBytesView)
    }

    /// Feeds `bytes` as reads cut at `cuts`, then ends the burst; returns the batch.
    static func decode(_ bytes: [UInt8], cutAt cuts: [Int], framing: Framing) async throws -> [String] {
        let channel = EmbeddedChannel()
        let queue = InboundQueue(channel: channel)
        try channel.pipeline.syncOperations.addHandler(
            MessageBatchDecoder(decoder: MessageDecoder(framing: framing), queue: queue)
        )
        var start = 0
        for end in cuts + [bytes.count] where end > start {
            channel.pipeline.fireChannelRead(ByteBuffer(bytes: bytes[start..<end]))
            start = end
        }
        channel.pipeline.fireChannelReadComplete()
        let batch = try await queue.next() ?? []
        try await channel.close().get()
        return batch.map { String(buffer: $0) }
    }

    @Test(arguments: [Framing.header(), .header(width: 4), .length(bytes: 2), .length(bytes: 4, endianness: .little)])
    func everyCutGivesTheSameMessages(framing: Framing) async throws {
        let bytes = try Self.stream(framing)
        for cut in 1..<bytes.count {
            let decoded = try await Self.decode(bytes, cutAt: [cut], framing: framing)
            #expect(decoded == Self.messages, "cut at \(cut)")
        }
        // Two cuts: inside the large message's header and body, and around the small ones.
        for first in stride(from: 1, to: bytes.count, by: 7) {
            for second in [first + 1, first + 3, first + 600, bytes.count - 2] where second < bytes.count {
                let decoded = try await Self.decode(bytes, cutAt: [first, second], framing: framing)
                #expect(decoded == Self.messages, "cuts at \(first), \(second)")
            }
        }
        // A byte per read.
        #expect(try await Self.decode(bytes, cutAt: Array(1..<bytes.count), framing: framing) == Self.messages)
    }

    @Test func aMessageCutInItsHeaderAndCompletedIsFollowedByTheRestOfTheRead() async throws {
        // The second read completes the first message and holds two more whole ones.
        let decoded = try await Self.decode(
            Array("5         hello3         abc1         z".utf8),
            cutAt: [3],
            framing: .header()
        )
        #expect(decoded == ["hello", "abc", "z"])
    }

    @Test func aBadHeaderAcrossTwoReadsIsStillAnError() async throws {
        let channel = EmbeddedChannel()
        let queue = InboundQueue(channel: channel)
        try channel.pipeline.syncOperations.addHandler(
            MessageBatchDecoder(decoder: MessageDecoder(framing: .header()), queue: queue)
        )
        channel.pipeline.fireChannelRead(ByteBuffer(string: "2         hi12"))
        channel.pipeline.fireChannelRead(ByteBuffer(string: "x4567890rest"))
        channel.pipeline.fireChannelReadComplete()
        await #expect(throws: FramingError.self) {
            while try await queue.next() != nil {}
        }
        try? await channel.close().get()
    }
}
