import Logging
import NIOCore
import ServiceLifecycle
import Testing
import Wire
import WireFraming

struct ServerDidNotStart: Error {}

/// Runs a server on 127.0.0.1 port 0 for the length of `body`, which gets the bound port.
func withServer<Result: Sendable>(
    _ configuration: ServerConfiguration = ServerConfiguration(port: 0),
    handler: @escaping WireServer.Handler,
    _ body: (Int) async throws -> Result
) async throws -> Result {
    let (addresses, continuation) = AsyncStream<SocketAddress>.makeStream()
    let server = WireServer(
        configuration: configuration,
        onListening: { address in
            continuation.yield(address)
            continuation.finish()
        },
        handler: handler
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        var iterator = addresses.makeAsyncIterator()
        guard let port = await iterator.next()?.port else {
            throw ServerDidNotStart()
        }
        let result = try await body(port)
        group.cancelAll()
        return result
    }
}

/// An echo handler: every message goes back, in order.
let echoHandler: WireServer.Handler = { connection in
    for try await message in connection.messages {
        try await connection.send(message)
    }
}

/// Connects, sends `messages`, half-closes, and collects everything received until the server closes.
func exchange(
    port: Int,
    host: String = "127.0.0.1",
    framing: Framing = .header(),
    _ messages: [String]
) async throws -> [String] {
    try await WireClient.withConnection(host: host, port: port, configuration: ClientConfiguration(framing: framing)) {
        connection in
        async let received: [String] = {
            var received: [String] = []
            for try await message in connection.messages {
                received.append(String(buffer: message))
            }
            return received
        }()
        for message in messages {
            try await connection.send(message)
        }
        try await connection.finish()
        return try await received
    }
}
