import NIOCore
import Testing

@testable import WireChat

/// What a member that comes back missed, as the log answers it, without a socket.
struct ChatLogTests {
    static let base: UInt64 = 1_000

    /// A log of texts at positions `first...last` (one node: minor 0), keeping `keep`.
    static func log(_ positions: ClosedRange<UInt64>, keep: Int = 100) -> ChatLog {
        var log = ChatLog()
        for major in positions {
            log.append(
                ChatLog.Entry(position: ChatPosition(major: major), name: "n", text: ByteBuffer(string: "\(major)")),
                keeping: keep
            )
        }
        return log
    }

    static func texts(_ entries: [ChatLog.Entry]) -> [String] {
        entries.map { String(buffer: $0.text) }
    }

    @Test func whatCameAfterAPositionItKeeps() {
        let (entries, lost) = Self.log(1_000...1_004).after(
            ChatPosition(major: 1_001),
            streamed: false,
            base: Self.base,
            next: 1_005
        )
        #expect(Self.texts(entries) == ["1002", "1003", "1004"])
        #expect(lost == nil)
    }

    @Test func countsWhatItNoLongerKeeps() {
        let (entries, lost) = Self.log(1_000...1_009, keep: 3).after(
            ChatPosition(major: 1_002),
            streamed: false,
            base: Self.base,
            next: 1_010
        )
        #expect(Self.texts(entries) == ["1007", "1008", "1009"])
        #expect(lost == .count(4))
    }

    @Test func aLogThatKeepsNothingStillCountsWhatWasSaid() {
        let (entries, lost) = ChatLog().after(ChatPosition(major: 1_002), streamed: false, base: Self.base, next: 1_006)
        #expect(entries.isEmpty)
        #expect(lost == .count(3))
    }

    @Test func aMemberThatMissedNothingIsToldSo() {
        let (entries, lost) = Self.log(1_000...1_004).after(
            ChatPosition(major: 1_004),
            streamed: false,
            base: Self.base,
            next: 1_005
        )
        #expect(entries.isEmpty && lost == nil)
    }

    @Test func aPositionFromAnEarlierRunOfTheNodeGetsAllItHasAndAnUnknownLoss() {
        let (entries, lost) = Self.log(1_000...1_001).after(
            ChatPosition(major: 900),
            streamed: false,
            base: Self.base,
            next: 1_002
        )
        #expect(Self.texts(entries) == ["1000", "1001"])
        #expect(lost == .unknown)
    }

    @Test func inAStreamAGapIsKnownButNotCounted() {
        // Batches 10 (two texts) and 13: what the stream had between is not in this log.
        var log = ChatLog()
        for (major, minor) in [(10, 0), (10, 1), (13, 0)] as [(UInt64, UInt32)] {
            log.append(
                ChatLog.Entry(
                    position: ChatPosition(major: major, minor: minor),
                    name: "n",
                    text: ByteBuffer(string: "\(major).\(minor)")
                ),
                keeping: 100
            )
        }
        let (within, none) = log.after(ChatPosition(major: 10, minor: 0), streamed: true, base: Self.base)
        #expect(Self.texts(within) == ["10.1", "13.0"] && none == nil)
        let (after, gap) = log.after(ChatPosition(major: 8, minor: 3), streamed: true, base: Self.base)
        #expect(Self.texts(after) == ["10.0", "10.1", "13.0"] && gap == .unknown)
        let (next, adjacent) = log.after(ChatPosition(major: 9, minor: 0), streamed: true, base: Self.base)
        #expect(next.count == 3 && adjacent == nil)
    }

    @Test func keepsNoMoreThanItsBytes() {
        var log = ChatLog()
        let big = ByteBuffer(repeating: 0x61, count: ChatLog.maximumBytes / 2 + 1)
        for major in 1...3 as ClosedRange<UInt64> {
            log.append(ChatLog.Entry(position: ChatPosition(major: major), name: "", text: big), keeping: 100)
        }
        #expect(log.entries.count == 1 && log.bytes == big.readableBytes)
    }

    @Test func saysWhenTheStreamMustFillWhatTheLogNoLongerHas() {
        var log = ChatLog()
        for (major, count) in [(7 as UInt64, 3 as UInt32), (8, 2)] {
            for minor in 0..<count {
                log.append(
                    ChatLog.Entry(
                        position: ChatPosition(major: major, minor: minor),
                        name: "n",
                        text: ByteBuffer(string: "\(major).\(minor)")
                    ),
                    keeping: 4
                )
            }
        }
        // The log keeps 7.1 to 8.1 (7.0 went).
        #expect(log.startsAfter(ChatPosition(major: 7, minor: 0)) == nil)
        #expect(log.startsAfter(ChatPosition(major: 7, minor: 2)) == nil)
        #expect(log.startsAfter(ChatPosition(major: 6, minor: 4)) == ChatPosition(major: 7, minor: 1))
        #expect(log.startsAfter(ChatPosition(major: 2, minor: 0)) == ChatPosition(major: 7, minor: 1))
        #expect(ChatLog().startsAfter(ChatPosition(major: 2, minor: 0)) == nil)
    }
}
