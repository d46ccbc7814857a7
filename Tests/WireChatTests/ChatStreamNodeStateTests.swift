import NIOCore
import Testing

@testable import WireChat

/// One node's decisions in a room kept in a stream, without I/O: what is published when, and what
/// this node's members get, through splits, retries and duplicates.
struct ChatStreamNodeStateTests {
    typealias State = ChatStreamNodeState
    static let alice = ChatRoom.MemberID(value: 1)
    static let bob = ChatRoom.MemberID(value: 2)

    static func texts(_ values: String...) -> [ByteBuffer] { values.map { ByteBuffer(string: $0) } }

    static func whole() -> State {
        var state = State(node: "n1", batchLimit: 1024)
        _ = state.linkBack()
        return state
    }

    /// The records of a publish action, as "name:text".
    static func published(_ actions: [State.Action]) -> [String] {
        actions.flatMap { action -> [String] in
            guard case .publish(let message) = action else { return [] }
            return message.records.map { "\($0.name):\(String(buffer: $0.text))" }
        }
    }

    /// The records of a deliver action, as "name:text:excluded member".
    static func delivered(_ actions: [State.Action]) -> [String] {
        actions.flatMap { action -> [String] in
            guard case .deliver(let delivery) = action else { return [] }
            return delivery.records.map {
                "\($0.name):\(String(buffer: $0.text)):\($0.excluding.map { "\($0.value)" } ?? "-")"
            }
        }
    }

    static func records(_ message: State.Message) -> [(member: UInt64, name: String, text: ByteBuffer)] {
        message.records.map { ($0.sender.value, $0.name, $0.text) }
    }

    @Test func aWholeRoomDeliversItsOwnTextsWhenTheyComeBackFromTheStream() {
        var state = Self.whole()
        let first = state.sent(Self.texts("hi", "all"), from: Self.alice, name: "alice")
        // Published, not delivered: everyone gets it in the stream's order.
        #expect(Self.published(first) == ["alice:hi", "alice:all"])
        #expect(Self.delivered(first) == [])
        // One in flight: bob's text waits for the acknowledgement.
        #expect(state.sent(Self.texts("yo"), from: Self.bob, name: "bob") == [])
        guard case .publish(let message) = first[0] else {
            Issue.record("no publish")
            return
        }
        let stored = state.stored(counter: message.counter)
        #expect(Self.published(stored) == ["bob:yo"])
        // Back from the stream: to everyone here but alice.
        let echo = state.streamed(from: "n1", counter: message.counter, records: Self.records(message))
        #expect(Self.delivered(echo) == ["alice:hi:1", "alice:all:1"])
    }

    @Test func whatWaitsGoesInOneBatchUpToTheLimit() {
        var state = State(node: "n1", batchLimit: 40)
        _ = state.linkBack()
        _ = state.sent(Self.texts("0"), from: Self.alice, name: "alice")
        for number in 1...5 {
            #expect(state.sent(Self.texts("\(number)"), from: Self.alice, name: "alice") == [])
        }
        // 12 bytes of framing + 5 of name + 1 of text: two records fit in 40 bytes.
        #expect(Self.published(state.stored(counter: 1)) == ["alice:1", "alice:2"])
        #expect(Self.published(state.stored(counter: 2)) == ["alice:3", "alice:4"])
        #expect(Self.published(state.stored(counter: 3)) == ["alice:5"])
        #expect(state.waitingBytes == 0)
        // A record larger than the limit still goes, alone.
        var large = State(node: "n1", batchLimit: 10)
        _ = large.linkBack()
        #expect(
            Self.published(large.sent(Self.texts("a long text"), from: Self.alice, name: "alice")) == [
                "alice:a long text"
            ]
        )
    }

    @Test func aSplitRoomDeliversItsOwnTextsAtOnceAndSkipsThemWhenTheyComeBack() {
        var state = State(node: "n1", batchLimit: 1024)
        // Not linked yet: alice's text reaches the members here at once, and waits to be published.
        let actions = state.sent(Self.texts("alone"), from: Self.alice, name: "alice")
        #expect(Self.delivered(actions) == ["alice:alone:1"])
        guard case .publish(let message) = actions.last else {
            Issue.record("no publish")
            return
        }
        _ = state.linkBack()
        _ = state.stored(counter: message.counter)
        #expect(state.streamed(from: "n1", counter: message.counter, records: Self.records(message)) == [])
    }

    @Test func losingTheLinkDeliversWhatThisNodesMembersHaveNotSeenOfTheirOwn() {
        var state = Self.whole()
        let first = state.sent(Self.texts("stored"), from: Self.alice, name: "alice")
        guard case .publish(let stored) = first[0] else {
            Issue.record("no publish")
            return
        }
        let second = state.stored(counter: stored.counter)
        #expect(second == [])
        let inFlight = state.sent(Self.texts("in flight"), from: Self.bob, name: "bob")
        guard case .publish(let flying) = inFlight[0] else {
            Issue.record("no publish")
            return
        }
        _ = state.sent(Self.texts("waiting"), from: Self.alice, name: "alice")
        // Stored but not back, in flight, waiting: all delivered here now, in that order.
        #expect(Self.delivered(state.linkLost()) == ["alice:stored:1", "bob:in flight:2", "alice:waiting:1"])
        #expect(state.linkLost() == [])
        // When they come back from the stream, nobody gets them twice.
        _ = state.linkBack()
        #expect(state.streamed(from: "n1", counter: stored.counter, records: Self.records(stored)) == [])
        let after = state.streamed(from: "n1", counter: flying.counter, records: Self.records(flying))
        #expect(Self.delivered(after) == [])
        // Its echo stands for its acknowledgement: the waiting one goes now.
        #expect(Self.published(after) == ["alice:waiting"])
    }

    @Test func anEchoBeforeItsAcknowledgementLetsTheNextGoAndTheLateAcknowledgementIsIgnored() {
        var state = Self.whole()
        let first = state.sent(Self.texts("one"), from: Self.alice, name: "alice")
        guard case .publish(let message) = first[0] else {
            Issue.record("no publish")
            return
        }
        _ = state.sent(Self.texts("two"), from: Self.alice, name: "alice")
        let echo = state.streamed(from: "n1", counter: message.counter, records: Self.records(message))
        #expect(Self.delivered(echo) == ["alice:one:1"])
        #expect(Self.published(echo) == ["alice:two"])
        #expect(state.stored(counter: message.counter) == [])
    }

    @Test func anotherNodesBatchIsDeliveredToEveryoneOnceEvenIfStoredTwice() {
        var state = Self.whole()
        let records: [(member: UInt64, name: String, text: ByteBuffer)] = [(7, "carol", ByteBuffer(string: "hello"))]
        #expect(Self.delivered(state.streamed(from: "n2", counter: 3, records: records)) == ["carol:hello:-"])
        // The same counter again (published again after the stream's duplicate window), or an
        // older one: skipped.
        #expect(state.streamed(from: "n2", counter: 3, records: records) == [])
        #expect(state.streamed(from: "n2", counter: 2, records: records) == [])
        #expect(Self.delivered(state.streamed(from: "n2", counter: 4, records: records)) == ["carol:hello:-"])
        // A batch of this node's from before it started (its members are gone): to everyone.
        #expect(Self.delivered(state.streamed(from: "n0", counter: 1, records: records)) == ["carol:hello:-"])
    }

    @Test func tooMuchWaitingHoldsTheSenders() {
        var state = Self.whole()
        _ = state.sent(Self.texts("first"), from: Self.alice, name: "alice")
        _ = state.sent([ByteBuffer(repeating: 0x61, count: 100)], from: Self.alice, name: "alice")
        #expect(state.isBacklogged(limit: 100))
        #expect(!state.isBacklogged(limit: 200))
    }

    @Test func aFailedPublishIsTriedAgainWithAGrowingWaitAndSaidOnceInTen() {
        var state = Self.whole()
        guard case .publish(let message) = state.sent(Self.texts("hi"), from: Self.alice, name: "alice").first else {
            Issue.record("no publish")
            return
        }
        let retries = (1...12).compactMap { _ in state.publishFailed(counter: message.counter) }
        #expect(
            retries.map(\.after)
                == [50, 100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000, 1000, 1000].map {
                    TimeAmount.milliseconds($0)
                }
        )
        #expect(
            retries.map(\.says) == [true, false, false, false, false, false, false, false, false, true, false, false]
        )
        // Not the message in flight: nothing to try again.
        #expect(state.publishFailed(counter: message.counter + 1) == nil)
        // Stored at last: the next message starts from the shortest wait again.
        _ = state.sent(Self.texts("again"), from: Self.alice, name: "alice")
        guard case .publish(let next) = state.stored(counter: message.counter).first else {
            Issue.record("no publish")
            return
        }
        #expect(state.publishFailed(counter: next.counter) == State.Retry(after: .milliseconds(50), says: true))
        // Its echo comes back before its acknowledgement: stored all the same, and the next
        // message starts from the shortest wait.
        _ = state.sent(Self.texts("third"), from: Self.alice, name: "alice")
        let echo = state.streamed(from: "n1", counter: next.counter, records: Self.records(next))
        guard case .publish(let third) = echo.first(where: { if case .publish = $0 { true } else { false } }) else {
            Issue.record("no publish after the echo")
            return
        }
        #expect(state.publishFailed(counter: third.counter) == State.Retry(after: .milliseconds(50), says: true))
        // Closing: nothing is tried again.
        state.close()
        #expect(state.publishFailed(counter: third.counter) == nil)
    }
}
