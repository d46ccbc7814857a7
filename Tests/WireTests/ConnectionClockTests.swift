import NIOCore
import Testing

@testable import Wire

/// The timeouts and heartbeats of a connection, without sockets, on a fake clock.
struct ConnectionClockTests {
    static func at(_ seconds: Double) -> NIODeadline {
        .uptimeNanoseconds(1_000_000_000_000 + UInt64(seconds * 1e9))
    }

    @Test func theFirstMessageMustComeInTime() {
        var clock = ConnectionClock(
            timeouts: ConnectionTimeouts(firstMessage: .seconds(10)),
            framingAllowsEmptyMessages: true,
            now: Self.at(0)
        )
        #expect(clock.deadline == Self.at(10))
        #expect(clock.fire(now: Self.at(9.9)).isEmpty)
        #expect(clock.fire(now: Self.at(10)) == [.closeForFirstMessage(after: .seconds(10))])

        var answered = ConnectionClock(
            timeouts: ConnectionTimeouts(firstMessage: .seconds(10)),
            framingAllowsEmptyMessages: true,
            now: Self.at(0)
        )
        answered.receivedMessages(now: Self.at(3))
        #expect(answered.deadline == nil, "nothing else can time out")
        #expect(answered.fire(now: Self.at(60)).isEmpty)
    }

    @Test func idlenessCountsFromTheLastMessageEitherWay() {
        var clock = ConnectionClock(
            timeouts: ConnectionTimeouts(idle: .seconds(30)),
            framingAllowsEmptyMessages: true,
            now: Self.at(0)
        )
        clock.receivedMessages(now: Self.at(20))
        clock.wrote(now: Self.at(40))
        #expect(clock.deadline == Self.at(70))
        #expect(clock.fire(now: Self.at(69)).isEmpty)
        #expect(clock.fire(now: Self.at(70)) == [.closeForIdleness(after: .seconds(30))])
    }

    @Test func heartbeatsGoOutWhenNothingWasWrittenAndDoNotKeepTheConnectionAlive() {
        let timeouts = ConnectionTimeouts(idle: .seconds(12), heartbeat: .seconds(5))
        var clock = ConnectionClock(timeouts: timeouts, framingAllowsEmptyMessages: true, now: Self.at(0))
        #expect(clock.deadline == Self.at(5))
        #expect(clock.fire(now: Self.at(5)) == [.sendHeartbeat])
        #expect(clock.deadline == Self.at(10))
        // The peer's heartbeat proves it is there.
        clock.receivedHeartbeat(now: Self.at(8))
        #expect(clock.fire(now: Self.at(10)) == [.sendHeartbeat])
        #expect(clock.fire(now: Self.at(15)) == [.sendHeartbeat])
        // Our own heartbeats at 5, 10 and 15 did not count: 12 s after the peer's, it is idle.
        #expect(clock.fire(now: Self.at(20)) == [.sendHeartbeat, .closeForIdleness(after: .seconds(12))])
    }

    @Test func noHeartbeatsInAFramingWithoutEmptyMessages() {
        var clock = ConnectionClock(
            timeouts: ConnectionTimeouts(heartbeat: .seconds(5)),
            framingAllowsEmptyMessages: false,
            now: Self.at(0)
        )
        #expect(!clock.heartbeats)
        #expect(clock.deadline == nil)
        #expect(clock.fire(now: Self.at(100)).isEmpty)
    }
}
