import Foundation
import Logging
import NIOCore
import Synchronization
import Testing
import Wire
import WireFraming

@testable import WireChat

/// Wire's own protocol on top of the tutorial's: a hello, positions, heartbeats, resuming.
@Suite(.timeLimit(.minutes(1)))
struct ChatResumeRoomTests {
    /// Reads records until one with `text`, and returns them.
    static func records(until text: String, from records: inout ChatRecords.AsyncIterator) async throws -> [ChatRecord]
    {
        var seen: [ChatRecord] = []
        while let record = try await records.next() {
            seen.append(record)
            if record.text == text { break }
        }
        return seen
    }

    @Test func aMemberThatComesBackGetsWhatItMissedAndHowMuchTheRoomNoLongerKeeps() async throws {
        let configuration = quietRoom { $0.resumeLogSize = 3 }
        try await withChatServer(configuration) { port, server in
            try await ChatClient.join(port: port, username: "witness") { witness in
                var seen = witness.records.makeAsyncIterator()
                try await ChatClient.join(port: port, username: "bob") { bob in
                    // alice, with a hello: her records carry positions; the tutorial's do not.
                    let last = try await ChatClient.join(port: port, username: "alice", hello: ChatHello(session: "a1"))
                    { alice in
                        var records = alice.records.makeAsyncIterator()
                        try await waitForMembers(server, 3)
                        try await bob.send("0")
                        let record = try #require(try await records.next())
                        #expect(record.username == "bob" && record.text == "0")
                        return try #require(record.position)
                    }
                    #expect(try await Self.records(until: "0", from: &seen).last?.position == nil)
                    for number in 1...5 { try await bob.send("\(number)") }
                    _ = try await Self.records(until: "5", from: &seen)
                    // Back after "0": 1 to 5 were said; the room keeps the last three.
                    try await ChatClient.join(
                        port: port,
                        username: "alice",
                        hello: ChatHello(session: "a1", resume: last)
                    ) { alice in
                        var records = alice.records.makeAsyncIterator()
                        let back = try await Self.records(until: "5", from: &records)
                        #expect(
                            back.map { "\($0.username) > \($0.text)" } == [
                                "[server] > missed while away: 3 texts, and 2 older ones are no longer kept", "bob > 3",
                                "bob > 4", "bob > 5",
                            ]
                        )
                        #expect(
                            back.dropFirst().compactMap(\.position).map(\.major)
                                == [4, 5, 6].map { last.major + $0 - 1 }
                        )
                        #expect(back.first?.position == nil)
                    }
                }
            }
        }
    }

    @Test func aMemberThatComesBackIsNotSentItsOwnTexts() async throws {
        try await withChatServer(quietRoom()) { port, server in
            try await ChatClient.join(port: port, username: "witness") { witness in
                var seen = witness.records.makeAsyncIterator()
                try await ChatClient.join(port: port, username: "bob") { bob in
                    let last = try await ChatClient.join(port: port, username: "alice", hello: ChatHello(session: "a1"))
                    { alice in
                        var records = alice.records.makeAsyncIterator()
                        try await waitForMembers(server, 3)
                        try await bob.send("0")
                        let record = try #require(try await records.next())
                        // Said after her last position: in the log, but hers.
                        try await alice.send("mine")
                        _ = try await Self.records(until: "mine", from: &seen)
                        return try #require(record.position)
                    }
                    try await bob.send("1")
                    _ = try await Self.records(until: "1", from: &seen)
                    try await ChatClient.join(
                        port: port,
                        username: "alice",
                        hello: ChatHello(session: "a1", resume: last)
                    ) { alice in
                        var records = alice.records.makeAsyncIterator()
                        let back = try await Self.records(until: "1", from: &records)
                        #expect(
                            back.map { "\($0.username) > \($0.text)" } == [
                                "[server] > missed while away: 1 text", "bob > 1",
                            ]
                        )
                    }
                }
            }
        }
    }

    /// The position the room gives its next text.
    static func nextPosition(_ room: ChatRoom) -> UInt64 {
        room.state.withLock { $0.machine.nextPosition }
    }

    @Test func aMemberThatHeardNothingBeforeItsConnectionDroppedResumesFromWhereItJoined() async throws {
        try await withChatServer(quietRoom()) { port, server in
            try await ChatClient.join(port: port, username: "alice") { alice in
                try await alice.send("before bob")
                while server.room.usernames != ["alice"] { try await Task.sleep(for: .milliseconds(5)) }
                // bob joins, hears nothing (only the room's position), and loses his connection.
                let (last, reader) = try await ChatClient.join(
                    port: port,
                    username: "bob",
                    hello: ChatHello(session: "b")
                ) { bob in
                    let reader = Task { for try await _ in bob.records {} }
                    while bob.lastPosition == nil { try await Task.sleep(for: .milliseconds(5)) }
                    return (try #require(bob.lastPosition), reader)
                }
                _ = await reader.result
                while server.room.usernames != ["alice"] { try await Task.sleep(for: .milliseconds(5)) }
                let said = Self.nextPosition(server.room)
                try await alice.send("while bob was away")
                // Bob comes back once the room has the text: one still on its way (the client's send
                // returns when it is written) would reach him live, after "missed while away: 0 texts".
                while Self.nextPosition(server.room) == said {
                    try await Task.sleep(for: .milliseconds(5))
                }
                try await ChatClient.join(port: port, username: "bob", hello: ChatHello(session: "b", resume: last)) {
                    bob in
                    var records = bob.records.makeAsyncIterator()
                    let back = try await Self.records(until: "while bob was away", from: &records)
                    #expect(
                        back.map { "\($0.username) > \($0.text)" } == [
                            "[server] > missed while away: 1 text", "alice > while bob was away",
                        ]
                    )
                }
            }
        }
    }

    @Test func aSessionThatComesBackReplacesItsSilentConnection() async throws {
        try await withChatServer(quietRoom()) { port, server in
            try await ChatClient.join(port: port, username: "alice", hello: ChatHello(session: "same")) { old in
                while server.room.usernames != ["alice"] { try await Task.sleep(for: .milliseconds(5)) }
                var oldRecords = old.records.makeAsyncIterator()
                // The same session on a new connection, while the old one looks alive: it takes
                // the old one's place instead of being refused for a taken name.
                try await ChatClient.join(port: port, username: "alice", hello: ChatHello(session: "same")) { again in
                    var records = again.records.makeAsyncIterator()
                    // The server closed the old connection, then let the new one in.
                    while try await oldRecords.next() != nil {}
                    while server.room.usernames != ["alice"] { try await Task.sleep(for: .milliseconds(5)) }
                    try await ChatClient.join(port: port, username: "bob") { bob in
                        try await bob.send("hi")
                        #expect(try await records.next()?.text == "hi")
                    }
                    // bob has gone; one alice is here, the new one.
                    while server.room.usernames.contains("bob") { try await Task.sleep(for: .milliseconds(5)) }
                    #expect(server.room.usernames == ["alice"])
                }
                // Another session with that name is refused, as the tutorial's clients are.
                try await ChatClient.join(port: port, username: "carol", hello: ChatHello(session: "c")) { carol in
                    while !server.room.usernames.contains("carol") { try await Task.sleep(for: .milliseconds(5)) }
                    try await ChatClient.join(port: port, username: "carol", hello: ChatHello(session: "other")) {
                        impostor in
                        var records = impostor.records.makeAsyncIterator()
                        let answer = try await records.next()?.text
                        #expect(answer == "refused: username \"carol\" is already taken")
                    }
                    _ = carol
                }
            }
        }
    }
}
