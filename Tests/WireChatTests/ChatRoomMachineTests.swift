import NIOCore
import Testing

@testable import WireChat

/// The room's decisions above the credit machine, driven by events and a fake clock, without
/// sockets: positions and the log, who is told of joins, leaves and evictions, the other nodes'
/// holds and reports, a split, and when the stream link may read on.
struct ChatRoomMachineTests {
    struct FakeLink: ChatRoomMemberLink, Equatable {
        var name: String
        var wantsPositions = false
        var takesRecords = false
    }

    typealias Machine = ChatRoomMachine<FakeLink>

    static let limits = ChatRoomState<FakeLink>.Limits(
        pauseBytes: 1000,
        resumeBytes: 500,
        maximumPendingBytes: 10_000,
        stallTimeout: .seconds(5)
    )

    static func at(_ seconds: Double) -> NIODeadline {
        .uptimeNanoseconds(1_000_000_000_000 + UInt64(seconds * 1e9))
    }

    static func machine(logSize: Int = 3, announces: Bool = true, spansNodes: Bool = false) -> Machine {
        var machine = Machine(limits: Self.limits, logSize: logSize, positionBase: 100, announcesMembership: announces)
        if spansNodes { machine.attach() }
        return machine
    }

    /// The actions, written so that a test can compare them.
    static func describe(_ actions: [Machine.Action]) -> [String] {
        actions.map { action in
            switch action {
            case .write(let recipients): "write " + recipients.map(\.link.name).joined(separator: ",")
            case .evict(let eviction): "evict \(eviction.name)"
            case .resume(let id): "resume \(id.value)"
            case .tellNodes(.joined(let name)): "nodes: \(name) joined"
            case .tellNodes(.left(let name)): "nodes: \(name) left"
            case .tellNodes(.behindChanged): "nodes: behind changed"
            case .tellNodes(.texts): "nodes: texts"
            case .announce(let text, let except): "announce \(text)" + (except.map { " except \($0.value)" } ?? "")
            case .readOn: "read on"
            }
        }
    }

    static func join(
        _ machine: inout Machine,
        _ name: String,
        positions: Bool = false,
        records: Bool = false
    ) throws -> ChatRoom.MemberID {
        let link = FakeLink(name: name, wantsPositions: positions, takesRecords: records)
        return try machine.join(name: name, link: link, now: Self.at(0)).id
    }

    static func deliver(
        _ machine: inout Machine,
        _ texts: [String],
        from sender: ChatRoom.MemberID?,
        at time: Double = 1
    )
        -> (positions: [ChatPosition?], actions: [String])
    {
        let (positions, actions) = machine.deliver(
            count: texts.count,
            bytes: texts.map(\.utf8.count).reduce(0, +),
            excluding: sender,
            now: Self.at(time),
            record: { ("alice", ByteBuffer(string: texts[$0])) }
        )
        return (positions, Self.describe(actions))
    }

    @Test func aJoinIsAnnouncedToTheOthersAndToTheOtherNodesAndAQuietOneToNobody() throws {
        var machine = Self.machine(spansNodes: true)
        let alice = try machine.join(name: "alice", link: FakeLink(name: "alice"), now: Self.at(0))
        #expect(
            Self.describe(alice.actions) == ["nodes: alice joined", "announce alice joined except \(alice.id.value)"]
        )
        let again = try machine.join(name: "bob", link: FakeLink(name: "bob"), quietly: true, now: Self.at(0))
        #expect(again.actions.isEmpty)
        let left = machine.leave(alice.id)
        #expect(left.name == "alice")
        #expect(Self.describe(left.actions) == ["nodes: alice left", "announce alice left"])
        let r1 = machine.leave(alice.id)
        #expect(r1.name == nil)
        let r2 = machine.leave(again.id, quietly: true)
        #expect(r2.actions.isEmpty)
    }

    @Test func aRoomThatDoesNotAnnounceOnOneNodeTellsNobody() throws {
        var machine = Self.machine(announces: false)
        let alice = try machine.join(name: "alice", link: FakeLink(name: "alice"), now: Self.at(0))
        #expect(alice.actions.isEmpty)
        let r3 = machine.leave(alice.id)
        #expect(r3.actions.isEmpty)
    }

    @Test func aNameTakenOnAnotherNodeIsRefused() throws {
        var machine = Self.machine(spansNodes: true)
        _ = machine.reported(["carol"], by: "B", isBehind: false, now: Self.at(0))
        #expect(throws: ChatError.usernameTaken("carol")) { try Self.join(&machine, "carol") }
        #expect(throws: ChatError.usernameReserved("[server]")) { try Self.join(&machine, "[server]") }
    }

    @Test func aBurstIsNumberedFromTheBaseKeptInTheLogAndWrittenToTheOthers() throws {
        var machine = Self.machine(logSize: 3)
        #expect(machine.lastPosition == ChatPosition(major: 99))
        let alice = try Self.join(&machine, "alice")
        _ = try Self.join(&machine, "bob")
        let burst = Self.deliver(&machine, ["a", "b"], from: alice)
        #expect(burst.positions == [ChatPosition(major: 100), ChatPosition(major: 101)])
        #expect(burst.actions == ["write bob"])
        _ = Self.deliver(&machine, ["c", "d"], from: alice)
        // The log keeps the last three, with their positions.
        #expect(machine.log.entries.map { String(buffer: $0.text) } == ["b", "c", "d"])
        #expect(machine.log.entries.map(\.position) == [101, 102, 103].map { ChatPosition(major: $0) })
        #expect(machine.lastPosition == ChatPosition(major: 103))
    }

    @Test func aRoomKeptInAStreamTakesTheStreamsPositionsAndKnowsItsLastFromTheLog() throws {
        var machine = Self.machine()
        machine.streamTexts()
        #expect(machine.lastPosition == nil)
        let given = [ChatPosition(major: 7, minor: 0), ChatPosition(major: 7, minor: 1)]
        let (positions, _) = machine.deliver(
            count: 2,
            bytes: 2,
            at: given,
            excluding: nil,
            now: Self.at(1),
            record: { ("carol", ByteBuffer(string: "\($0)")) }
        )
        #expect(positions == given)
        #expect(machine.lastPosition == ChatPosition(major: 7, minor: 1))
        #expect(machine.nextPosition == 100)
    }

    @Test func aLogOfNoSizeKeepsNothing() throws {
        var machine = Self.machine(logSize: 0)
        _ = Self.deliver(&machine, ["a"], from: nil)
        #expect(machine.log.entries.isEmpty)
        #expect(machine.lastPosition == ChatPosition(major: 100))
    }

    @Test func theMembersThatWantPositionsOrRecordsAreCountedUntilTheyLeave() throws {
        var machine = Self.machine()
        let web = try Self.join(&machine, "web", positions: true, records: true)
        let tcp = try Self.join(&machine, "tcp", positions: true)
        #expect(machine.positionedMembers == 2 && machine.recordMembers == 1)
        _ = machine.leave(web)
        #expect(machine.positionedMembers == 1 && machine.recordMembers == 0)
        _ = machine.leave(tcp)
        _ = machine.leave(tcp)
        #expect(machine.positionedMembers == 0)
    }

    @Test func aMemberBehindIsToldToTheOtherNodesOnceAndAgainWhenItCatchesUp() throws {
        var machine = Self.machine(spansNodes: true)
        let alice = try Self.join(&machine, "alice")
        let bob = try Self.join(&machine, "bob")
        let burst = Self.deliver(&machine, [String(repeating: "x", count: 1500)], from: alice)
        #expect(burst.actions == ["write bob", "nodes: behind changed"])
        #expect(machine.isBehind)
        #expect(Self.deliver(&machine, ["y"], from: alice).actions == ["write bob"])
        // Alice waits for her turn; bob's socket takes enough, and she goes on.
        let may1 = machine.mayPublish(alice)
        #expect(!may1)
        let r4 = machine.written(bob, bytes: 1001, now: Self.at(2))
        #expect(
            Self.describe(r4) == [
                "resume \(alice.value)", "nodes: behind changed",
            ]
        )
        let may2 = machine.mayPublish(alice)
        #expect(!machine.isBehind && may2)
    }

    @Test func theStreamLinkReadsOnAtOnceOrWhenNobodyIsBehind() throws {
        var machine = Self.machine()
        let alice = try Self.join(&machine, "alice")
        let may3 = machine.readsOn()
        #expect(may3)
        _ = Self.deliver(&machine, [String(repeating: "x", count: 1500)], from: nil)
        let may4 = machine.readsOn()
        #expect(!may4)
        let r5 = machine.written(alice, bytes: 600, now: Self.at(2))
        #expect(Self.describe(r5).isEmpty)
        let r6 = machine.written(alice, bytes: 900, now: Self.at(2))
        #expect(Self.describe(r6) == ["read on"])
        // Once only.
        let r7 = machine.written(alice, bytes: 0, now: Self.at(3))
        #expect(Self.describe(r7).isEmpty)
    }

    @Test func anEvictedBrowserIsNoLongerCountedAndItsLeaveLaterCountsNothing() throws {
        var machine = Self.machine()
        let web = try Self.join(&machine, "web", positions: true, records: true)
        _ = Self.deliver(&machine, ["hello"], from: nil, at: 1)
        let evicted = Self.describe(machine.tick(now: Self.at(6)))
        #expect(evicted.first == "evict web")
        #expect(machine.positionedMembers == 0 && machine.recordMembers == 0)
        _ = machine.leave(web)
        #expect(machine.positionedMembers == 0 && machine.recordMembers == 0)
    }

    @Test func aStalledMemberIsEvictedAndEveryoneIsToldItLeft() throws {
        var machine = Self.machine(spansNodes: true)
        let alice = try Self.join(&machine, "alice")
        let bob = try Self.join(&machine, "bob")
        _ = Self.deliver(&machine, ["hello"], from: alice, at: 1)
        let r8 = machine.tick(now: Self.at(5.9))
        #expect(Self.describe(r8).isEmpty)
        #expect(
            Self.describe(machine.tick(now: Self.at(6))) == ["evict bob", "nodes: bob left", "announce bob left"]
        )
        #expect(machine.members.member(named: "bob") == nil)
        let r9 = machine.leave(bob)
        #expect(r9.actions.isEmpty)
    }

    @Test func anotherNodesReportAnnouncesItsMembersAndHoldsTheSendersWhileOneIsBehind() throws {
        var machine = Self.machine(spansNodes: true)
        let alice = try Self.join(&machine, "alice")
        let first = machine.reported(["carol", "dan"], by: "B", isBehind: true, now: Self.at(0))
        #expect(Self.describe(first) == ["announce carol joined", "announce dan joined"])
        let may5 = machine.mayPublish(alice)
        #expect(!may5)
        let second = machine.reported(["carol"], by: "B", isBehind: false, now: Self.at(1))
        #expect(Self.describe(second) == ["resume \(alice.value)", "announce dan left"])
        _ = machine.reported(["carol"], by: "B", isBehind: true, now: Self.at(2))
        let may6 = machine.mayPublish(alice)
        #expect(!may6)
        let r10 = machine.removed(node: "B")
        #expect(Self.describe(r10) == ["resume \(alice.value)", "announce carol left"])
        #expect(machine.remote.usernames.isEmpty)
    }

    @Test func aSplitLetsTheSendersGoAndTellsTheMembersOnceEachWay() throws {
        var machine = Self.machine(spansNodes: true)
        let alice = try Self.join(&machine, "alice")
        _ = machine.reported(["carol"], by: "B", isBehind: true, now: Self.at(0))
        let may7 = machine.mayPublish(alice)
        #expect(!may7)
        let split = Self.describe(machine.setSplit(true, now: Self.at(1)))
        #expect(
            split == [
                "resume \(alice.value)", "announce room split: the other nodes are out of reach until NATS is back",
            ]
        )
        let r11 = machine.setSplit(true, now: Self.at(2))
        #expect(r11.isEmpty)
        #expect(machine.remote.isCutOff)
        #expect(
            Self.describe(machine.setSplit(false, now: Self.at(3))) == [
                "announce room whole again: the other nodes are back"
            ]
        )
    }

    @Test func aHoldDecisionOlderThanOneAppliedIsIgnored() throws {
        var machine = Self.machine(spansNodes: true)
        let alice = try Self.join(&machine, "alice")
        _ = machine.setHold("window", true, decision: 2)
        let may8 = machine.mayPublish(alice)
        #expect(!may8)
        // Decision 1 (let go) came late: the later hold stands.
        let r12 = machine.setHold("window", false, decision: 1)
        #expect(r12.isEmpty)
        let may9 = machine.mayPublish(alice)
        #expect(!may9)
        let r13 = machine.setHold("window", false, decision: 3)
        #expect(Self.describe(r13) == ["resume \(alice.value)"])
    }
}
