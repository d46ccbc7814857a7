import Testing

@testable import WireChat

/// A node of a room over core NATS, without I/O: credit, publishes in flight, split and whole.
struct ChatCoreNodeStateTests {
    typealias Action = ChatCoreNodeState.Action

    @Test func sendersWaitWhileNATSHasNotTakenTooManyPublishesAndGoOnWhenItHas() {
        var state = ChatCoreNodeState(window: 1 << 20)
        for _ in 0..<ChatCoreNodeState.outstandingLimit {
            #expect(state.publishing().isEmpty)
        }
        #expect(state.publishing() == [.holdForOutbound(true)])
        #expect(state.publishing().isEmpty, "held once")
        for _ in 0..<ChatCoreNodeState.outstandingLimit + 1 {
            #expect(state.published().isEmpty)
        }
        #expect(state.published() == [.holdForOutbound(false)], "let go when NATS has taken them all")
        #expect(state.outstanding == 0)
    }

    @Test func failedPublishesAreLoggedTheFirstAndThenOneInAThousand() {
        var state = ChatCoreNodeState(window: 1 << 20)
        var logged: [Int] = []
        for _ in 0..<2000 {
            _ = state.publishing()
            for case .logPublishFailures(let count, let error) in state.published(error: "gone") {
                #expect(error == "gone")
                logged.append(count)
            }
        }
        #expect(logged == [1, 1000, 2000])
    }

    @Test func aWindowOfTextsUnacknowledgedHoldsTheSendersUntilTheOtherNodeAcknowledges() {
        var state = ChatCoreNodeState(window: 1000)
        // The other node speaks first: it is counted from now.
        #expect(state.heard(from: "b", kind: .state, acknowledging: nil, published: nil, isBehind: false).count == 1)
        let (first, offsets) = state.publishingTexts(sizes: [600])
        #expect(first.isEmpty)
        #expect(offsets == [600])
        let (second, _) = state.publishingTexts(sizes: [400])
        guard case .holdForWindow(true, let decision) = second.first else {
            Issue.record("no hold: \(second)")
            return
        }
        let released = state.heard(from: "b", kind: .state, acknowledging: 1000, published: nil, isBehind: false)
        guard case .holdForWindow(false, let later) = released.last else {
            Issue.record("not let go: \(released)")
            return
        }
        #expect(later > decision, "the later decision wins")
    }

    @Test func anotherNodesTextsAreAcknowledgedByAQuarterWindowUnlessSomeoneHereIsBehind() {
        var state = ChatCoreNodeState(window: 1000)
        #expect(state.received(from: "b", offset: 100, bytes: 100, isBehind: false).isEmpty)
        #expect(state.received(from: "b", offset: 300, bytes: 200, isBehind: true).isEmpty)
        #expect(state.received(from: "b", offset: 350, bytes: 50, isBehind: false) == [.publishPresence])
        let (acks, published) = state.presence(isBehind: false)
        #expect(acks == ["b": 350])
        #expect(published == 0)
    }

    @Test func theSplitIsSaidOnceAfterEveryServerFailedAndWholeAgainAfterAConnection() {
        var state = ChatCoreNodeState(window: 1000)
        #expect(state.attemptFailed(reason: "a: refused", servers: 2).isEmpty, "the next server may do")
        let split = state.attemptFailed(reason: "b: refused", servers: 2)
        #expect(split.contains(.split(reason: "b: refused", isNews: true)))
        #expect(state.disconnected(reason: "again").contains(.split(reason: "again", isNews: false)))
        #expect(state.connected(to: "nats://b", maximumPayload: 4096) == [.whole(server: "nats://b")])
        #expect(state.maximumPayload == 4096)
        #expect(state.disconnected(reason: "lost").contains(.split(reason: "lost", isNews: true)))
    }

    @Test func aSplitOrASilentNodeForgetsTheCreditThatHeldTheSenders() {
        var state = ChatCoreNodeState(window: 100)
        _ = state.heard(from: "b", kind: .state, acknowledging: nil, published: nil, isBehind: false)
        #expect(state.publishingTexts(sizes: [100]).actions.first == .holdForWindow(true, decision: 2))
        guard case .holdForWindow(false, _) = state.silent(["b"]).first else {
            Issue.record("a silent node still holds the senders")
            return
        }
        _ = state.heard(from: "c", kind: .state, acknowledging: nil, published: nil, isBehind: false)
        #expect(state.publishingTexts(sizes: [100]).actions.count == 1)
        guard case .holdForWindow(false, _) = state.disconnected(reason: "lost").first else {
            Issue.record("a split still holds the senders")
            return
        }
    }

    @Test func afterTheGoodbyeTheNodeIsClosing() {
        var state = ChatCoreNodeState(window: 100)
        #expect(!state.isClosing)
        state.close()
        #expect(state.isClosing)
    }
}
