import NIOCore
import Testing

@testable import WireChat

/// Credit between nodes, without I/O.
struct ChatNodeFlowTests {
    @Test func aNodeThatDoesNotAcknowledgeHoldsTheSendersAfterAWindow() {
        var flow = ChatNodeFlow(window: 1000)
        flow.heard(from: "b", acknowledging: nil)
        let first = flow.publish(bytes: 600)
        #expect(first == 600)
        #expect(!flow.mustHold)
        let second = flow.publish(bytes: 400)
        #expect(second == 1000)
        #expect(flow.mustHold, "a window unacknowledged")
        flow.heard(from: "b", acknowledging: 500)
        #expect(!flow.mustHold)
        flow.heard(from: "b", acknowledging: 100)
        #expect(!flow.mustHold, "an old acknowledgement does not take credit back")
        #expect(flow.acknowledged["b"] == 500)
    }

    @Test func aNodeIsCountedFromWhenItIsFirstHeardAndForgottenWhenItGoes() {
        var flow = ChatNodeFlow(window: 1000)
        _ = flow.publish(bytes: 5000)
        flow.heard(from: "late", acknowledging: nil)
        #expect(!flow.mustHold, "what was published before it spoke is not its debt")
        _ = flow.publish(bytes: 1000)
        #expect(flow.mustHold)
        flow.forget("late")
        #expect(!flow.mustHold)
        flow.heard(from: "liar", acknowledging: 1_000_000)
        #expect(flow.acknowledged["liar"] == 6000, "nobody acknowledges more than was published")
    }

    @Test func acknowledgesEveryQuarterWindowButNotWhileBehind() {
        var flow = ChatNodeFlow(window: 1000)
        let early = flow.receive(from: "a", offset: 300, bytes: 100, isBehind: false)
        #expect(!early, "100 bytes are less than a quarter window")
        let quarter = flow.receive(from: "a", offset: 500, bytes: 200, isBehind: false)
        #expect(quarter)
        let acks = flow.acknowledgements(isBehind: false)
        #expect(acks == ["a": 500])
        let whileBehind = flow.receive(from: "a", offset: 900, bytes: 400, isBehind: true)
        #expect(!whileBehind, "behind: no acknowledgement")
        let old = flow.acknowledgements(isBehind: true)
        #expect(old == ["a": 500], "behind: the old credit only")
        let caughtUp = flow.acknowledgements(isBehind: false)
        #expect(caughtUp == ["a": 900])
    }

    @Test func aNodeBehindAtFirstContactAcknowledgesNothingOfWhatItHolds() {
        var flow = ChatNodeFlow(window: 1000)
        _ = flow.receive(from: "a", offset: 5000, bytes: 800, isBehind: true)
        let acks = flow.acknowledgements(isBehind: true)
        #expect(acks == ["a": 4200], "up to where its first batch started")
    }

    @Test func whatAnotherNodePublishedButNeverArrivedIsAcknowledgedOnItsPresence() {
        var flow = ChatNodeFlow(window: 1000)
        _ = flow.receive(from: "a", offset: 100, bytes: 100, isBehind: false)
        // Its presence says 2000 bytes were published: the rest was lost on the way (a split).
        let now = flow.receive(from: "a", offset: 2000, isBehind: false)
        #expect(now)
        let acks = flow.acknowledgements(isBehind: false)
        #expect(acks == ["a": 2000])
    }

    @Test func aNodeThatForgotThisOneIsCountedAfresh() {
        var flow = ChatNodeFlow(window: 1000)
        flow.heard(from: "b", acknowledging: nil)
        _ = flow.publish(bytes: 5000)
        #expect(flow.mustHold)
        flow.heard(from: "b", acknowledging: nil)
        #expect(!flow.mustHold, "b split and forgot us: what it missed is not in flight")
    }

    @Test func ignoresNegativeOffsets() {
        var flow = ChatNodeFlow(window: 1000)
        let ack = flow.receive(from: "evil", offset: Int.min, bytes: 10, isBehind: false)
        #expect(!ack)
        _ = flow.receive(from: "evil", offset: 100, isBehind: false)
        let again = flow.receive(from: "evil", offset: Int.max, isBehind: false)
        #expect(again)
        flow.heard(from: "evil", acknowledging: -5)
        #expect(flow.acknowledged["evil"] == 0)
    }
}
