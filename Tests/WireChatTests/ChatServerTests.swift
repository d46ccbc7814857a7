import Foundation
import Logging
import NIOCore
import Synchronization
import Testing
import Wire
import WireFraming

@testable import WireChat

@Suite(.timeLimit(.minutes(2)))
struct ChatServerTests {
    @Test func relaysTextToEveryoneElseAsTwoFrames() async throws {
        try await withChatServer(quietRoom()) { port, server in
            try await ChatClient.join(port: port, username: "bob") { bob in
                try await ChatClient.join(port: port, username: "alice") { alice in
                    try await waitForMembers(server, 2)
                    try await alice.send("h\u{e9}llo")
                    try await alice.send("second")
                    var records = bob.records.makeAsyncIterator()
                    #expect(try await records.next() == ChatRecord(username: "alice", text: "h\u{e9}llo"))
                    #expect(try await records.next() == ChatRecord(username: "alice", text: "second"))
                    try await alice.leave()
                    var own = alice.records.makeAsyncIterator()
                    #expect(try await own.next() == nil, "nothing goes back to the sender")
                }
            }
        }
    }

    @Test func writesTheTutorialsBytesExactly() async throws {
        try await withChatServer(quietRoom()) { port, server in
            try await WireClient.withConnection(
                host: "127.0.0.1",
                port: port,
                configuration: ClientConfiguration(framing: .raw(.wholeStream))
            ) {
                raw in
                try await raw.send("3         bob")
                try await ChatClient.join(port: port, username: "alice") { alice in
                    try await waitForMembers(server, 2)
                    try await alice.send("h\u{e9}llo")
                    try await alice.leave()
                }
                try await waitForMembers(server, 1)
                try await raw.send("5         /quit")
                var received = ByteBuffer()
                for try await chunk in raw.messages { received.writeImmutableBuffer(chunk) }
                #expect(
                    Array(received.readableBytesView) == Array("5         alice6         h".utf8) + [0xc3, 0xa9]
                        + Array("llo".utf8)
                )
            }
        }
    }

    /// A member's username, texts and /quit in one burst: the texts that came with the username
    /// are relayed (the member's task took them with it before the member was handed to its
    /// event loop), the /quit ends the member where it stands, and what follows it is not said.
    @Test func textsThatComeWithTheUsernameAreRelayedAndQuitEndsTheBurst() async throws {
        try await withChatServer(quietRoom()) { port, server in
            try await ChatClient.join(port: port, username: "bob") { bob in
                try await waitForMembers(server, 1)
                try await WireClient.withConnection(
                    host: "127.0.0.1",
                    port: port,
                    configuration: ClientConfiguration(framing: .raw(.wholeStream))
                ) { raw in
                    try await raw.send("5         alice3         one3         two5         /quit5         after")
                    var received = ByteBuffer()
                    for try await chunk in raw.messages { received.writeImmutableBuffer(chunk) }
                    #expect(received.readableBytes == 0, "nothing goes back to the sender")
                }
                var records = bob.records.makeAsyncIterator()
                #expect(try await records.next() == ChatRecord(username: "alice", text: "one"))
                #expect(try await records.next() == ChatRecord(username: "alice", text: "two"))
                try await waitForMembers(server, 1)
                try await bob.send("/who")
                #expect(try await records.next() == ChatRecord(username: ChatRoom.serverName, text: "online: bob"))
            }
        }
    }

    @Test(arguments: [
        ("", "username is empty"),
        (String(repeating: "x", count: 33), "username of 33 bytes is longer than the limit of 32 bytes"),
        ("[server]", "username \"[server]\" is reserved for the server"),
        ("tab\tname", "username must be UTF-8 text without control characters"),
    ])
    func refusesABadUsernameWithANotice(username: String, reason: String) async throws {
        try await withChatServer(quietRoom()) { port, _ in
            let records = try await ChatClient.join(port: port, username: username) { session in
                var all: [ChatRecord] = []
                for try await record in session.records { all.append(record) }
                return all
            }
            #expect(records == [ChatRecord(username: ChatRoom.serverName, text: "refused: \(reason)")])
        }
    }

    @Test func refusesATakenUsername() async throws {
        try await withChatServer(quietRoom()) { port, server in
            try await ChatClient.join(port: port, username: "alice") { _ in
                try await waitForMembers(server, 1)
                let records = try await ChatClient.join(port: port, username: "alice") { session in
                    var all: [ChatRecord] = []
                    for try await record in session.records { all.append(record) }
                    return all
                }
                #expect(
                    records == [ChatRecord(username: "[server]", text: "refused: username \"alice\" is already taken")]
                )
            }
        }
    }

    @Test func announcesJoinsAndLeavesAndAnswersWhoAndQuit() async throws {
        let configuration = ChatServerConfiguration(server: ServerConfiguration(port: 0))
        try await withChatServer(configuration) { port, server in
            try await ChatClient.join(port: port, username: "alice") { alice in
                try await waitForMembers(server, 1)
                var records = alice.records.makeAsyncIterator()
                try await ChatClient.join(port: port, username: "bob") { bob in
                    #expect(try await records.next() == ChatRecord(username: "[server]", text: "bob joined"))
                    try await bob.send("/who")
                    var bobs = bob.records.makeAsyncIterator()
                    #expect(try await bobs.next() == ChatRecord(username: "[server]", text: "online: alice, bob"))
                    try await bob.send("/quit")
                    #expect(try await bobs.next() == nil, "/quit closes the connection")
                }
                #expect(try await records.next() == ChatRecord(username: "[server]", text: "bob left"))
            }
        }
    }

    @Test func newcomersReceiveTheHistory() async throws {
        let received = Atomic<Int>(0)
        try await withChatServer(
            quietRoom {
                $0.historySize = 2
                $0.reportsTexts = true
            },
            onEvent: { event in
                if case .received = event { received.add(1, ordering: .relaxed) }
            }
        ) { port, server in
            try await ChatClient.join(port: port, username: "alice") { alice in
                try await waitForMembers(server, 1)
                for text in ["one", "two", "three"] { try await alice.send(text) }
                while received.load(ordering: .relaxed) < 3 {
                    try await Task.sleep(for: .milliseconds(5))
                }
                try await ChatClient.join(port: port, username: "carol") { carol in
                    try await waitForMembers(server, 2)
                    try await alice.send("four")
                    var records = carol.records.makeAsyncIterator()
                    #expect(try await records.next() == ChatRecord(username: "alice", text: "two"))
                    #expect(try await records.next() == ChatRecord(username: "alice", text: "three"))
                    #expect(try await records.next() == ChatRecord(username: "alice", text: "four"))
                }
            }
        }
    }

    @Test func historyIsMarkedAsHistoryInAnAnnouncingRoom() async throws {
        let received = Atomic<Int>(0)
        let configuration = ChatServerConfiguration(
            server: ServerConfiguration(port: 0),
            historySize: 5,
            reportsTexts: true
        )
        try await withChatServer(
            configuration,
            onEvent: { event in
                if case .received = event { received.add(1, ordering: .relaxed) }
            }
        ) { port, server in
            try await ChatClient.join(port: port, username: "alice") { alice in
                try await waitForMembers(server, 1)
                try await alice.send("one")
                while received.load(ordering: .relaxed) < 1 { try await Task.sleep(for: .milliseconds(5)) }
                try await ChatClient.join(port: port, username: "carol") { carol in
                    var records = carol.records.makeAsyncIterator()
                    var received: [ChatRecord] = []
                    for _ in 0..<3 {
                        if let record = try await records.next() { received.append(record) }
                    }
                    #expect(
                        received == [
                            ChatRecord(username: "[server]", text: "history: the last 1 text"),
                            ChatRecord(username: "alice", text: "one"),
                            ChatRecord(username: "[server]", text: "end of history"),
                        ]
                    )
                }
            }
        }
    }
}
