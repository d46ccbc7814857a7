import NIOCore
import Testing

@testable import WireChat

/// The other nodes of a room, without I/O: reports, silence under a fake clock, splits and the
/// order of hold decisions.
struct ChatRemoteNodesTests {
    static func at(_ seconds: Int64) -> NIODeadline {
        .uptimeNanoseconds(UInt64(1_000 + seconds) * 1_000_000_000)
    }

    @Test func aReportSaysWhoJoinedAndWhoLeft() {
        var nodes = ChatRemoteNodes()
        let first = nodes.reported(["ann", "bob"], by: "b", now: Self.at(0))
        #expect(first.joined == ["ann", "bob"] && first.left == [])
        let second = nodes.reported(["bob", "cy"], by: "b", now: Self.at(1))
        #expect(second.joined == ["cy"] && second.left == ["ann"])
        let other = nodes.reported(["dee"], by: "a", now: Self.at(1))
        #expect(other.joined == ["dee"] && other.left == [])
        // Node by node, in the order of their names.
        #expect(nodes.usernames == ["dee", "bob", "cy"])
        #expect(nodes.hasMember(named: "cy"))
        #expect(!nodes.hasMember(named: "ann"))
        let gone = nodes.removed("b")
        #expect(gone == ["bob", "cy"])
        let again = nodes.removed("b")
        #expect(again == [])
        #expect(nodes.usernames == ["dee"])
    }

    @Test func aNodeNotHeardFromGoesSilentAndTextsCountAsHearingIt() {
        var nodes = ChatRemoteNodes()
        _ = nodes.reported(["ann"], by: "a", now: Self.at(0))
        _ = nodes.reported(["bob"], by: "b", now: Self.at(0))
        nodes.heard(from: "b", now: Self.at(8))
        #expect(nodes.silent(since: Self.at(5)) == ["a"])
        #expect(nodes.silent(since: Self.at(9)) == ["a", "b"])
        // Texts from a node nobody knows yet do not make one up.
        nodes.heard(from: "c", now: Self.at(9))
        #expect(nodes.nodes["c"] == nil)
    }

    @Test func whileSplitNobodyGoesSilentAndWholeAgainEveryClockStartsAgain() {
        var nodes = ChatRemoteNodes()
        #expect(!nodes.isCutOff)
        _ = nodes.reported(["ann"], by: "a", now: Self.at(0))
        let split = nodes.setSplit(true, now: Self.at(1))
        #expect(split)
        let splitAgain = nodes.setSplit(true, now: Self.at(2))
        #expect(!splitAgain, "no change")
        #expect(nodes.isCutOff)
        #expect(nodes.silent(since: Self.at(60)) == [])
        let whole = nodes.setSplit(false, now: Self.at(60))
        #expect(whole)
        #expect(!nodes.isCutOff)
        // Its clock started again at 60: silent only after that.
        #expect(nodes.silent(since: Self.at(59)) == [])
        #expect(nodes.silent(since: Self.at(61)) == ["a"])
        // A split room with no other node is cut off from nobody.
        _ = nodes.removed("a")
        _ = nodes.setSplit(true, now: Self.at(62))
        #expect(!nodes.isCutOff)
    }

    @Test func aHoldDecisionOlderThanOneTakenIsIgnored() {
        var nodes = ChatRemoteNodes()
        let second = nodes.takes(holdDecision: 2)
        #expect(second)
        let late = nodes.takes(holdDecision: 1)
        #expect(!late, "came late")
        let same = nodes.takes(holdDecision: 2)
        #expect(!same, "the same again")
        let third = nodes.takes(holdDecision: 3)
        #expect(third)
    }
}
