import NIOCore
import Testing

@testable import WireChat

/// The room's policy, driven by events and a fake clock, without sockets.
struct ChatRoomStateTests {
    typealias State = ChatRoomState<String>

    static let limits = State.Limits(
        pauseBytes: 1000,
        resumeBytes: 500,
        maximumPendingBytes: 10_000,
        stallTimeout: .seconds(5)
    )

    /// A fake clock: seconds since an arbitrary start.
    static func at(_ seconds: Double) -> NIODeadline {
        .uptimeNanoseconds(1_000_000_000_000 + UInt64(seconds * 1e9))
    }

    static func room(_ names: [String]) throws -> (State, [ChatRoom.MemberID]) {
        var state = State(limits: Self.limits)
        let ids = try names.map { name throws(ChatError) in try state.join(name: name, link: name, now: Self.at(0)) }
        return (state, ids)
    }

    static func joinError(_ state: inout State, _ name: String) -> ChatError? {
        do {
            _ = try state.join(name: name, link: name, now: Self.at(0))
            return nil
        } catch {
            return error
        }
    }

    @Test func deliversToEveryoneButTheSenderAndCountsWhatWaits() throws {
        var (state, ids) = try Self.room(["alice", "bob", "carol"])
        let actions = state.broadcast(bytes: 100, from: ids[0], now: Self.at(1))
        #expect(actions.recipients.map(\.link) == ["bob", "carol"])
        #expect(actions.evictions.isEmpty && actions.resumed.isEmpty)
        #expect(state.members[ids[0]]?.pendingBytes == 0)
        #expect(state.members[ids[1]]?.pendingBytes == 100)
        let notice = state.broadcast(bytes: 10, from: nil, now: Self.at(1))
        #expect(notice.recipients.map(\.link) == ["alice", "bob", "carol"])
        _ = state.written(ids[1], bytes: 110, now: Self.at(2))
        #expect(state.members[ids[1]]?.pendingBytes == 0)
    }

    @Test func refusesTakenAndReservedNames() throws {
        var (state, _) = try Self.room(["alice"])
        #expect(Self.joinError(&state, "alice") == ChatError.usernameTaken("alice"))
        #expect(Self.joinError(&state, "[server]") == ChatError.usernameReserved("[server]"))
        #expect(state.usernames == ["alice"])
    }

    @Test func aMemberBehindHoldsBackTheOthersUntilItCatchesUp() throws {
        var (state, ids) = try Self.room(["alice", "bob", "carol"])
        let (alice, bob, carol) = (ids[0], ids[1], ids[2])
        let aliceFirst = state.mayPublish(alice)
        #expect(aliceFirst)
        _ = state.broadcast(bytes: 600, from: alice, now: Self.at(1))
        _ = state.written(carol, bytes: 600, now: Self.at(1))
        _ = state.broadcast(bytes: 600, from: alice, now: Self.at(1))  // bob: 1200 pending, behind
        #expect(state.behind == [bob])
        let (aliceMay, carolMay, bobMay) = (state.mayPublish(alice), state.mayPublish(carol), state.mayPublish(bob))
        #expect(!aliceMay, "alice waits for bob")
        #expect(!carolMay, "carol waits for bob")
        #expect(bobMay, "bob is never held back by its own backlog")
        // Progress, but not enough: still behind.
        let partial = state.written(bob, bytes: 600, now: Self.at(2))
        #expect(partial.resumed.isEmpty)
        // Back under resumeBytes: both waiting senders go on, in the order they joined.
        let actions = state.written(bob, bytes: 200, now: Self.at(2))
        #expect(actions.resumed == [alice, carol])
        #expect(state.behind.isEmpty)
        let bothMay = state.mayPublish(alice) && state.mayPublish(carol)
        #expect(bothMay)
    }

    @Test func twoMembersBehindHoldBackEvenEachOther() throws {
        var (state, ids) = try Self.room(["alice", "bob", "carol"])
        _ = state.broadcast(bytes: 1500, from: ids[2], now: Self.at(1))  // alice and bob behind
        let anyMay = state.mayPublish(ids[0]) || state.mayPublish(ids[1]) || state.mayPublish(ids[2])
        #expect(!anyMay)
        let first = state.written(ids[0], bytes: 1500, now: Self.at(2))
        #expect(first.resumed == [ids[1]], "bob: only alice held it back")
        let second = state.written(ids[1], bytes: 1500, now: Self.at(2))
        #expect(second.resumed == [ids[0], ids[2]])
    }

    @Test func aStalledMemberIsEvictedAfterTheTimeoutAndReleasesTheOthers() throws {
        var (state, ids) = try Self.room(["alice", "bob"])
        _ = state.broadcast(bytes: 2000, from: ids[0], now: Self.at(10))
        let aliceMay = state.mayPublish(ids[0])
        #expect(!aliceMay)
        let early = state.tick(now: Self.at(14.9))
        #expect(early.evictions.isEmpty)
        let actions = state.tick(now: Self.at(15))
        #expect(actions.evictions.map(\.name) == ["bob"])
        #expect(actions.evictions.first?.reason == .stalled(pendingBytes: 2000, after: .seconds(5)))
        #expect(actions.resumed == [ids[0]], "alice goes on at once")
        #expect(state.usernames == ["alice"])
        let late = state.written(ids[1], bytes: 2000, now: Self.at(16))
        #expect(late.isEmpty, "late acknowledgements are ignored")
    }

    @Test func aSlowReaderThatKeepsReadingIsNeverEvicted() throws {
        var (state, ids) = try Self.room(["fast", "slow"])
        var now = 0.0
        // An hour of a sender that always has more than the slow reader takes: the slow reader
        // accepts 100 bytes every 4 seconds, just inside the stall timeout.
        for _ in 0..<900 {
            if state.mayPublish(ids[0]) {
                _ = state.broadcast(bytes: 400, from: ids[0], now: Self.at(now))
            }
            now += 4
            let actions = state.tick(now: Self.at(now))
            #expect(actions.evictions.isEmpty)
            _ = state.written(ids[1], bytes: 100, now: Self.at(now))
        }
        #expect(state.usernames == ["fast", "slow"])
        #expect(state.members[ids[1]]!.pendingBytes <= Self.limits.pauseBytes + 400, "the sender was held back")
    }

    @Test func theStallClockStartsWhenSomethingStartsWaiting() throws {
        var (state, ids) = try Self.room(["alice", "bob"])
        // Nothing waited for bob for an hour: that is no stall.
        _ = state.broadcast(bytes: 10, from: ids[0], now: Self.at(3600))
        let early = state.tick(now: Self.at(3604))
        #expect(early.evictions.isEmpty)
        let due = state.tick(now: Self.at(3605))
        #expect(due.evictions.map(\.name) == ["bob"])
    }

    @Test func tooMuchWaitingIsEvictedAtOnce() throws {
        var (state, ids) = try Self.room(["alice", "bob", "carol"])
        _ = state.broadcast(bytes: 9000, from: ids[0], now: Self.at(1))
        _ = state.written(ids[2], bytes: 9000, now: Self.at(1))
        let actions = state.broadcast(bytes: 1001, from: ids[2], now: Self.at(1))
        #expect(actions.evictions.map(\.name) == ["bob"])
        #expect(actions.evictions.first?.reason == .overflowed(pendingBytes: 10_001, limit: 10_000))
        #expect(actions.recipients.map(\.link) == ["alice"], "nothing more is written to an evicted member")
        #expect(state.usernames == ["alice", "carol"])
    }

    @Test func leavingReleasesTheSendersAMemberHeldBackAndWakesItsOwnSender() throws {
        var (state, ids) = try Self.room(["alice", "bob", "carol"])
        _ = state.broadcast(bytes: 2000, from: ids[2], now: Self.at(1))  // alice and bob behind
        let (aliceMay, bobMay) = (state.mayPublish(ids[0]), state.mayPublish(ids[1]))
        #expect(!aliceMay, "alice waits for bob")
        #expect(!bobMay, "bob waits for alice")
        let carolLeaves = state.leave(ids[2])
        #expect(carolLeaves.actions.resumed.isEmpty, "carol held nobody back")
        let (member, actions) = state.leave(ids[1])
        #expect(member?.name == "bob")
        #expect(
            Set(actions.resumed) == [ids[0], ids[1]],
            "alice goes on; bob's own waiting sender is woken to see it has left"
        )
        let again = state.leave(ids[1])
        #expect(again.member == nil)
    }

    @Test func anOutsideHoldMakesEverySenderWaitUntilTheLastOneIsCleared() throws {
        var (state, ids) = try Self.room(["alice", "bob"])
        _ = state.setHold("node:b", true)
        _ = state.setHold("nats", true)
        let (aliceMay, bobMay) = (state.mayPublish(ids[0]), state.mayPublish(ids[1]))
        #expect(!aliceMay && !bobMay, "a hold from another node holds everyone, even a member behind")
        #expect(state.setHold("nats", false).resumed.isEmpty, "one hold is still set")
        #expect(state.clearHolds { $0.hasPrefix("node:") }.resumed == ids)
        #expect(state.holds.isEmpty)
        #expect(state.setHold("node:b", false).isEmpty, "clearing a hold that is not set changes nothing")
    }

    @Test func waitingSendersGoOnInTheOrderTheyJoinedWhateverOrderTheyStoppedIn() throws {
        var (state, ids) = try Self.room(["alice", "bob", "carol", "dave", "erin"])
        _ = state.broadcast(bytes: 1200, from: ids[0], now: Self.at(1))
        _ = state.written(ids[1], bytes: 1200, now: Self.at(1))
        _ = state.written(ids[2], bytes: 1200, now: Self.at(1))
        _ = state.written(ids[4], bytes: 1200, now: Self.at(1))
        #expect(state.behind == [ids[3]])
        // erin, then carol, then alice stop to wait for dave.
        let mayNot = [ids[4], ids[2], ids[0]].map { state.mayPublish($0) }
        #expect(mayNot == [false, false, false])
        #expect(state.isWaiting(ids[2]) && !state.isWaiting(ids[1]))
        #expect(state.load.waitingSenders == 3)
        // carol leaves while she waits: her sender is woken with the next event, so that it sees it.
        let carolLeft = state.leave(ids[2])
        #expect(carolLeft.actions.resumed == [ids[2]])
        #expect(state.usernames == ["alice", "bob", "dave", "erin"])
        // dave leaves: the others go on, in the order they joined.
        let daveLeft = state.leave(ids[3])
        #expect(daveLeft.actions.resumed == [ids[0], ids[4]])
        #expect(state.usernames == ["alice", "bob", "erin"])
        #expect(state.load.waitingSenders == 0 && !state.isWaiting(ids[0]))
        // Leaving twice, or someone never here, changes nothing.
        #expect(state.leave(ids[3]).member == nil)
        #expect(state.usernames == ["alice", "bob", "erin"])
    }

    @Test func aRoomOfThousandsEmptiesInAnyOrderAndKeepsTheRestInJoinOrder() throws {
        let names = (0..<3000).map { "m\($0)" }
        var (state, ids) = try Self.room(names)
        var kept = Array(ids.indices)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2990 {
            let index = kept.remove(at: Int.random(in: kept.indices, using: &generator))
            #expect(state.leave(ids[index]).member?.name == names[index])
        }
        #expect(state.usernames == kept.sorted().map { names[$0] })
        let actions = state.broadcast(bytes: 10, from: nil, now: Self.at(1))
        #expect(actions.recipients.map(\.link) == kept.sorted().map { names[$0] })
    }
}
