import NIOCore
import NIOPosix

/// A NATS server that a test scripts line by line, for what a real server does only on its own
/// schedule (a PING, an INFO update, lame-duck mode).
final class ScriptedNATSServer {
    let channel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    /// The one iterator over the accepted clients (NIO allows only one).
    var clients: NIOAsyncChannelInboundStream<NIOAsyncChannel<ByteBuffer, ByteBuffer>>.AsyncIterator
    var port: Int { self.channel.channel.localAddress?.port ?? 0 }

    init(channel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>) {
        self.channel = channel
        self.clients = channel.inbound.makeAsyncIterator()
    }

    static func start() async throws -> ScriptedNATSServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { child in
                child.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child)
                }
            }
        return ScriptedNATSServer(channel: channel)
    }

    /// The next client, with its CONNECT and PING answered as a server does.
    func accept(
        info: String = #"{"server_id":"scripted","max_payload":1048576,"headers":true}"#,
        pingDuringHandshake: Bool = false
    ) async throws -> Connection {
        guard let client = try await self.clients.next() else { throw ScriptedServerClosed() }
        let connection = Connection(channel: client)
        try await connection.send("INFO \(info)\r\n")
        try await connection.expect("CONNECT ")
        try await connection.expect("PING")
        if pingDuringHandshake {
            // As a server does that pings before it answers: the client must answer at once.
            try await connection.send("PING\r\n")
            try await connection.expect("PONG")
        }
        try await connection.send("PONG\r\n")
        return connection
    }

    final class Connection {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        var lines: [String] = []
        var pending: [UInt8] = []
        var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator

        init(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
            self.channel = channel
            self.inbound = channel.inbound.makeAsyncIterator()
        }

        func send(_ text: String) async throws {
            try await self.channel.outbound.write(ByteBuffer(string: text))
        }

        /// Reads lines until one starts with `prefix`, and returns it.
        @discardableResult
        func expect(_ prefix: String) async throws -> String {
            while true {
                // Bytes, not Characters: "\r\n" is one Character in Swift.
                while let newline = self.pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: self.pending[..<newline], as: UTF8.self).trimmingSuffix("\r")
                    self.pending.removeSubrange(...newline)
                    if line.hasPrefix(prefix) { return line }
                }
                guard let bytes = try await self.inbound.next() else { throw ScriptedServerClosed() }
                self.pending += bytes.readableBytesView
            }
        }

        func close() async throws {
            self.channel.outbound.finish()
            try await self.channel.channel.close()
        }

        deinit {
            // The writer must be finished before it goes; the channel closes with it.
            self.channel.outbound.finish()
        }
    }
}

struct ScriptedServerClosed: Error {}

extension String {
    fileprivate func trimmingSuffix(_ suffix: Character) -> String {
        self.last == suffix ? String(self.dropLast()) : self
    }
}
