import NIOCore
import Testing

@testable import WireChat

/// What the room machine sends a member first, without sockets: a newcomer's history, marked when
/// the room announces; what a member coming back missed, without its own texts and with how much
/// is no longer kept; the stream's older texts put before the log's; and the mark of where it
/// stands.
struct ChatRoomGreetingTests {
    typealias Machine = ChatRoomMachineTests.Machine
    typealias Greeting = Machine.Greeting

    static func room(history: Int = 2, log: Int = 3, announces: Bool = true) -> Machine {
        Machine(
            limits: ChatRoomMachineTests.limits,
            historySize: history,
            logSize: log,
            positionBase: 100,
            announcesMembership: announces
        )
    }

    /// Delivers texts said by `name` (numbered from 100 on one node).
    static func say(_ machine: inout Machine, _ name: String, _ texts: [String]) {
        _ = machine.deliver(
            count: texts.count,
            bytes: texts.count,
            excluding: nil,
            now: ChatRoomMachineTests.at(1),
            record: { (name, ByteBuffer(string: texts[$0])) }
        )
    }

    static func text(_ major: UInt64, _ name: String, _ text: String) -> Greeting {
        .text(ChatLog.Entry(position: ChatPosition(major: major), name: name, text: ByteBuffer(string: text)))
    }

    @Test func aNewcomerGetsTheLastTextsBetweenTwoNoticesAndAPositionedOneItsMark() {
        var machine = Self.room()
        #expect(machine.greeting(for: "new", wantsPositions: false).isEmpty)
        #expect(machine.greeting(for: "new", wantsPositions: true) == [.mark(ChatPosition(major: 99))])
        Self.say(&machine, "alice", ["a", "b", "c"])
        #expect(
            machine.greeting(for: "new", wantsPositions: true) == [
                .notice("history: the last 2 texts"), Self.text(101, "alice", "b"), Self.text(102, "alice", "c"),
                .notice("end of history"), .mark(ChatPosition(major: 102)),
            ]
        )
        let quiet = { () -> [Greeting] in
            var machine = Self.room(history: 1, announces: false)
            Self.say(&machine, "alice", ["a"])
            return machine.greeting(for: "new", wantsPositions: false)
        }()
        #expect(quiet == [Self.text(100, "alice", "a")])
    }

    @Test func aMemberComingBackGetsWhatItMissedButNotItsOwnTexts() {
        var machine = Self.room(history: 0, log: 5)
        Self.say(&machine, "alice", ["a"])
        Self.say(&machine, "bob", ["b1", "b2"])
        Self.say(&machine, "carol", ["c"])
        #expect(
            machine.greeting(for: "bob", wantsPositions: true, resume: ChatPosition(major: 100)) == [
                .notice("missed while away: 1 text"), Self.text(103, "carol", "c"), .mark(ChatPosition(major: 103)),
            ]
        )
        #expect(
            machine.greeting(for: "bob", wantsPositions: false, resume: ChatPosition(major: 103)) == [
                .notice("missed while away: 0 texts")
            ]
        )
    }

    @Test func aMemberAwayLongerThanTheLogIsToldHowManyAreNoLongerKept() {
        var machine = Self.room(history: 0, log: 2)
        Self.say(&machine, "alice", ["1", "2", "3", "4", "5"])
        #expect(
            machine.greeting(for: "bob", wantsPositions: false, resume: ChatPosition(major: 100)) == [
                .notice("missed while away: 2 texts, and 2 older ones are no longer kept"),
                Self.text(103, "alice", "4"), Self.text(104, "alice", "5"),
            ]
        )
        // From before this node started: what that run said is gone with it.
        let before = machine.greeting(for: "bob", wantsPositions: false, resume: ChatPosition(major: 5))
        #expect(before.first == .notice("missed while away: 2 texts, and older ones are no longer kept"))
    }

    @Test func inAStreamTheOlderTextsComeBeforeTheLogsOwn() {
        var machine = Self.room(history: 0, log: 2)
        machine.streamTexts()
        let positions = [ChatPosition(major: 50), ChatPosition(major: 51)]
        machine.remember(count: 2, at: positions) { ("alice", ByteBuffer(string: "s\($0)")) }
        let older = ChatLog.Older(
            entries: [
                ChatLog.Entry(position: ChatPosition(major: 48), name: "alice", text: ByteBuffer(string: "old")),
                ChatLog.Entry(position: ChatPosition(major: 49), name: "carol", text: ByteBuffer(string: "older")),
            ],
            before: ChatPosition(major: 50),
            lost: nil
        )
        #expect(
            machine.greeting(for: "bob", wantsPositions: false, resume: ChatPosition(major: 47), older: older) == [
                .notice("missed while away: 4 texts"), Self.text(48, "alice", "old"), Self.text(49, "carol", "older"),
                Self.text(50, "alice", "s0"), Self.text(51, "alice", "s1"),
            ]
        )
    }
}
