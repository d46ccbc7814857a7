import Wire

@main
struct EchoExample {
    static func main() async throws {
        // A server: every connection is served concurrently; port 0 picks a free port.
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let server = WireServer(
            configuration: ServerConfiguration(port: 0, framing: .header()),
            onListening: { address in listening.yield(address.port ?? 0) }
        ) { connection in
            for try await message in connection.messages {  // whole messages, in order
                try await connection.send(message)  // echo
            }
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }  // or run it in a swift-service-lifecycle ServiceGroup
            var listeningPorts = ports.makeAsyncIterator()
            guard let port = await listeningPorts.next() else { return }

            // A client.
            try await WireClient.withConnection(host: "127.0.0.1", port: port) { connection in
                try await connection.send("Hey there!!!")
                try await connection.finish()  // half-close: "that's all from me"
                for try await reply in connection.messages {
                    print(String(buffer: reply))  // Hey there!!!
                }
            }
            group.cancelAll()  // stops the server
        }
    }
}
