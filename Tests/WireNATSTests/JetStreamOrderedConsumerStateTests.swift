import NIOCore
import Testing

@testable import WireNATS

/// The ordered consumer's decisions, with a fake clock: every message once and in order, a new
/// consumer from the right place after a gap, a lost message or silence, and flow control that
/// waits for the reader.
struct JetStreamOrderedConsumerStateTests {
    typealias State = JetStreamOrderedConsumerState
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func running(from start: State.Start = .all) -> State {
        var state = State(start: start, heartbeat: .seconds(1), now: Self.start)
        state.created(generation: 0, succeeded: true, now: Self.start)
        return state
    }

    @Test func deliversInOrderAndStartsAgainAfterTheLastOnAGap() {
        var state = Self.running()
        #expect(state.received(generation: 0, consumerSequence: 1, streamSequence: 10, now: Self.start) == .deliver)
        #expect(state.received(generation: 0, consumerSequence: 2, streamSequence: 11, now: Self.start) == .deliver)
        // Consumer sequence 4 after 2: the third never arrived. Dropped, and a new consumer
        // starts just after stream sequence 11.
        #expect(
            state.received(generation: 0, consumerSequence: 4, streamSequence: 13, now: Self.start)
                == .reset(generation: 1, start: .sequence(12))
        )
        // Late deliveries of the old consumer are ignored; the new one counts from 1.
        #expect(state.received(generation: 0, consumerSequence: 5, streamSequence: 14, now: Self.start) == .none)
        state.created(generation: 1, succeeded: true, now: Self.start)
        #expect(state.received(generation: 1, consumerSequence: 1, streamSequence: 12, now: Self.start) == .deliver)
        #expect(state.lastStreamSequence == 12)
    }

    @Test func aHeartbeatThatCountsMoreThanArrivedMeansALoss() {
        var state = Self.running()
        #expect(state.received(generation: 0, consumerSequence: 1, streamSequence: 5, now: Self.start) == .deliver)
        #expect(
            state.heartbeat(generation: 0, lastConsumerSequence: 1, stalledOn: nil, now: Self.start).action == .none
        )
        // It says it sent 3; we have 1: the last two were lost after the last delivery.
        #expect(
            state.heartbeat(generation: 0, lastConsumerSequence: 3, stalledOn: nil, now: Self.start).action
                == .reset(generation: 1, start: .sequence(6))
        )
    }

    @Test func aNewConsumerBeforeAnyDeliveryStartsWhereTheFirstDid() {
        var state = Self.running(from: .new)
        #expect(state.reconnected(now: Self.start) == .reset(generation: 1, start: .new))
        // While that one is being made, no other is started.
        #expect(state.reconnected(now: Self.start) == .none)
        #expect(state.tick(now: Self.start + .seconds(10)) == .none)
    }

    @Test func twoSilentHeartbeatIntervalsMakeANewConsumer() {
        var state = Self.running(from: .sequence(7))
        #expect(state.tick(now: Self.start + .milliseconds(1_900)) == .none)
        #expect(
            state.heartbeat(
                generation: 0,
                lastConsumerSequence: 0,
                stalledOn: nil,
                now: Self.start + .milliseconds(1_900)
            ).action == .none
        )
        #expect(state.tick(now: Self.start + .milliseconds(3_800)) == .none)
        #expect(state.tick(now: Self.start + .milliseconds(3_900)) == .reset(generation: 1, start: .sequence(7)))
    }

    @Test func aFailedCreationIsTriedAgainAtTheNextTick() {
        var state = Self.running()
        _ = state.received(generation: 0, consumerSequence: 1, streamSequence: 1, now: Self.start)
        #expect(state.reconnected(now: Self.start) == .reset(generation: 1, start: .sequence(2)))
        state.created(generation: 1, succeeded: false, now: Self.start)
        #expect(state.tick(now: Self.start + .milliseconds(10)) == .reset(generation: 2, start: .sequence(2)))
    }

    @Test func flowControlIsAnsweredOnceTheReaderHasTakenWhatCameBefore() {
        var state = Self.running()
        for sequence in 1...3 as ClosedRange<UInt64> {
            #expect(
                state.received(generation: 0, consumerSequence: sequence, streamSequence: sequence, now: Self.start)
                    == .deliver
            )
        }
        // Three delivered, none read: the server waits.
        #expect(state.flowControlRequest(generation: 0, subject: "$JS.FC.S.c.a", now: Self.start) == [])
        #expect(state.received(generation: 0, consumerSequence: 4, streamSequence: 4, now: Self.start) == .deliver)
        #expect(state.consumedOne() == [])
        #expect(state.consumedOne() == [])
        #expect(state.consumedOne() == ["$JS.FC.S.c.a"])
        #expect(state.consumedOne() == [])
        // A reader that is up to date answers at once.
        #expect(state.flowControlRequest(generation: 0, subject: "$JS.FC.S.c.b", now: Self.start) == ["$JS.FC.S.c.b"])
    }

    @Test func aStalledHeartbeatForARequestNeverSeenIsAnsweredAsTheReaderCatchesUp() {
        var state = Self.running()
        #expect(state.received(generation: 0, consumerSequence: 1, streamSequence: 1, now: Self.start) == .deliver)
        let (action, answers) = state.heartbeat(
            generation: 0,
            lastConsumerSequence: 1,
            stalledOn: "$JS.FC.S.c.x",
            now: Self.start
        )
        #expect(action == .none)
        #expect(answers == [])
        #expect(state.consumedOne() == ["$JS.FC.S.c.x"])
    }

    @Test func aConsumerTheServerEndedIsMadeAgain() {
        var state = Self.running()
        _ = state.received(generation: 0, consumerSequence: 1, streamSequence: 9, now: Self.start)
        #expect(state.ended(generation: 0, now: Self.start) == .reset(generation: 1, start: .sequence(10)))
        #expect(state.ended(generation: 0, now: Self.start) == .none)
    }

    @Test func readsTheReplySubjectOfEveryServerVersion() {
        let old = JetStreamOrderedConsumer.metadata("$JS.ACK.K.ROeBImct.1.2.1.1796314553482514684.3")
        #expect(old?.streamSequence == 2)
        #expect(old?.consumerSequence == 1)
        #expect(old?.pending == 3)
        let new = JetStreamOrderedConsumer.metadata("$JS.ACK._.HASH.K.cons.1.20.7.1796314553482514684.0.rnd")
        #expect(new?.streamSequence == 20)
        #expect(new?.consumerSequence == 7)
        #expect(JetStreamOrderedConsumer.metadata("$JS.ACK.K.c.1.x.1.1.3") == nil)
        #expect(JetStreamOrderedConsumer.metadata("$JS.ACK.K") == nil)
    }

    @Test func headersParseAndEncodeAsTheServerWritesThem() {
        let heartbeat = NATSHeaders(
            parsing: ByteBuffer(
                string: "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 4\r\nNats-Last-Stream: 5\r\n\r\n"
            )
        )
        #expect(heartbeat?.status == 100)
        #expect(heartbeat?.statusDescription == "Idle Heartbeat")
        #expect(heartbeat?["nats-last-consumer"] == "4")
        let noResponders = NATSHeaders(parsing: ByteBuffer(string: "NATS/1.0 503\r\n\r\n"))
        #expect(noResponders?.status == 503)
        #expect(noResponders?.statusDescription == "")
        #expect(NATSHeaders(parsing: ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\n")) == nil)
        // Garbage lines are skipped, not trusted.
        #expect(
            NATSHeaders(parsing: ByteBuffer(string: "NATS/1.0\r\nno colon\r\n: empty name\r\nA:  b \r\n\r\n"))?.fields
                == [.init(name: "A", value: "b")]
        )
        var headers: NATSHeaders = ["Nats-Msg-Id": "n1-7"]
        headers["Nats-Expected-Stream"] = "ROOM"
        #expect(
            String(buffer: headers.encoded()) == "NATS/1.0\r\nNats-Msg-Id: n1-7\r\nNats-Expected-Stream: ROOM\r\n\r\n"
        )
    }
}
