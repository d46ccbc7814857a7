import Foundation
import Logging
import NIOCore
import Synchronization
import Testing
import Wire
import WireFraming

@testable import WireChat

struct ChatServerDidNotStart: Error {}

/// Runs a chat server on 127.0.0.1 port 0 for the length of `body`.
func withChatServer<Result: Sendable>(
    _ configuration: ChatServerConfiguration = ChatServerConfiguration(server: ServerConfiguration(port: 0)),
    onEvent: @escaping @Sendable (ChatEvent) -> Void = { _ in },
    _ body: (Int, ChatServer) async throws -> Result
) async throws -> Result {
    let (addresses, continuation) = AsyncStream<Int>.makeStream()
    // WIRE_TEST_LOG=1 prints what the servers log, for a test that fails.
    var logger = Logger(label: "wire.test") { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = ProcessInfo.processInfo.environment["WIRE_TEST_LOG"] == "1" ? .debug : .critical
    let server = ChatServer(
        configuration: configuration,
        logger: logger,
        onListening: { address in
            continuation.yield(address.port ?? 0)
            continuation.finish()
        },
        onEvent: onEvent
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        var iterator = addresses.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ChatServerDidNotStart() }
        let result = try await body(port, server)
        group.cancelAll()
        return result
    }
}

func quietRoom(_ change: (inout ChatServerConfiguration) -> Void = { _ in }) -> ChatServerConfiguration {
    var configuration = ChatServerConfiguration(server: ServerConfiguration(port: 0), announcesMembership: false)
    change(&configuration)
    return configuration
}

/// Waits until the room has `count` members.
func waitForMembers(_ server: ChatServer, _ count: Int) async throws {
    while server.room.usernames.count != count {
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Reads `count` records that are not the room's notices, and returns each sender's numbers (the
/// first word of each text) in the order they arrived.
func collect(
    _ session: ChatSession,
    count: Int,
    afterEach: (Int) async throws -> Void = { _ in }
) async throws -> [String: [Int]] {
    var received: [String: [Int]] = [:]
    var seen = 0
    var records = session.records.makeAsyncIterator()
    while seen < count, let record = try await records.next() {
        guard record.username != ChatRoom.serverName else { continue }
        received[record.username, default: []].append(Int(record.text.prefix { $0 != " " }) ?? -1)
        seen += 1
        try await afterEach(seen)
    }
    return received
}
