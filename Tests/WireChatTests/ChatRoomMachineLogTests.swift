import NIOCore
import Testing

@testable import WireChat

/// What the log keeps of a burst: the last texts only, copied out of the sender's read (the log
/// must not hold a socket's receive buffer), all of them into one buffer.
struct ChatRoomMachineLogTests {
    typealias Machine = ChatRoomMachineTests.Machine

    static func address(_ buffer: ByteBuffer) -> UInt? {
        buffer.withUnsafeReadableBytes { $0.baseAddress.map { UInt(bitPattern: $0) } }
    }

    @Test func theLogKeepsTheLastTextsOfABurstCopiedOutOfTheSendersRead() {
        var machine = ChatRoomMachineTests.machine(logSize: 3)
        // The texts as the relay has them: slices of one read.
        let read = ByteBuffer(string: "onetwothreefourfive")
        let texts = [(0, 3), (3, 3), (6, 5), (11, 4), (15, 4)].map { read.getSlice(at: $0.0, length: $0.1)! }
        machine.remember(
            count: texts.count,
            at: (0..<5).map { ChatPosition(major: 100 + UInt64($0)) },
            record: { ("alice", texts[$0]) }
        )

        let entries = Array(machine.log.entries)
        #expect(entries.map { String(buffer: $0.text) } == ["three", "four", "five"])
        #expect(entries.map(\.position) == [102, 103, 104].map { ChatPosition(major: $0) })
        #expect(entries.map(\.name) == ["alice", "alice", "alice"])
        // Copied: none points into the read, and they lie one after the other in one copy.
        let readStart = Self.address(read)!
        for entry in entries {
            let start = Self.address(entry.text)!
            #expect(!(readStart..<readStart + UInt(read.readableBytes)).contains(start))
        }
        #expect(Self.address(entries[1].text) == Self.address(entries[0].text).map { $0 + 5 })
        #expect(machine.log.bytes == 3 * 5 + 5 + 4 + 4)
    }
}
