import NIOCore
import NIOPosix
import WireNATS

/// A NATS server that a test scripts line by line, for what a real server does only on its own
/// schedule (a PING, an INFO update, lame-duck mode).
final class ScriptedNATSServer {
    /// An accepted client: its channel and the bytes it sends.
    struct Accepted: Sendable {
        let channel: any Channel
        let bytes: AsyncStream<ByteBuffer>
    }

    /// Hands what a client sends to the test, and says when it is gone.
    final class Forwarder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let input: AsyncStream<ByteBuffer>.Continuation

        init(_ input: AsyncStream<ByteBuffer>.Continuation) {
            self.input = input
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.input.yield(Self.unwrapInboundIn(data))
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.input.finish()
            context.fireChannelInactive()
        }
    }

    let channel: any Channel
    /// The one iterator over the accepted clients.
    var clients: AsyncStream<Accepted>.AsyncIterator
    var port: Int { self.channel.localAddress?.port ?? 0 }

    private init(channel: any Channel, clients: AsyncStream<Accepted>) {
        self.channel = channel
        self.clients = clients.makeAsyncIterator()
    }

    static func start() async throws -> ScriptedNATSServer {
        let (clients, arrived) = AsyncStream.makeStream(of: Accepted.self)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    let (bytes, input) = AsyncStream.makeStream(of: ByteBuffer.self)
                    try child.pipeline.syncOperations.addHandler(Forwarder(input))
                    arrived.yield(Accepted(channel: child, bytes: bytes))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return ScriptedNATSServer(channel: channel, clients: clients)
    }

    var address: NATSServerAddress { NATSServerAddress(host: "127.0.0.1", port: self.port) }

    /// A client of this server, connected, and its connection as the server sees it.
    func connectClient(
        info: String = #"{"server_id":"scripted","max_payload":1048576,"headers":true}"#,
        pingDuringHandshake: Bool = false,
        configure: (inout NATSClientConfiguration) -> Void = { _ in }
    ) async throws -> (NATSClient, Connection) {
        // Generous: the scripted server is a test task that may wait for a busy machine.
        var configuration = NATSClientConfiguration(servers: [self.address], connectTimeout: .seconds(30))
        configure(&configuration)
        let client = NATSClient(configuration: configuration)
        async let connected: Void = client.connect()
        let connection = try await self.accept(info: info, pingDuringHandshake: pingDuringHandshake)
        try await connected
        return (client, connection)
    }

    /// The next client, with its CONNECT and PING answered as a server does.
    func accept(
        info: String = #"{"server_id":"scripted","max_payload":1048576,"headers":true}"#,
        pingDuringHandshake: Bool = false
    ) async throws -> Connection {
        guard let client = await self.clients.next() else { throw ScriptedServerClosed() }
        let connection = Connection(client)
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

    deinit {
        self.channel.close(promise: nil)
    }

    final class Connection {
        let channel: any Channel
        var inbound: AsyncStream<ByteBuffer>.AsyncIterator
        var pending: [UInt8] = []

        init(_ accepted: Accepted) {
            self.channel = accepted.channel
            self.inbound = accepted.bytes.makeAsyncIterator()
        }

        func send(_ text: String) async throws {
            try await self.channel.writeAndFlush(ByteBuffer(string: text)).get()
        }

        /// Reads lines until one starts with `prefix`, and returns it.
        @discardableResult
        func expect(_ prefix: String) async throws -> String {
            while true {
                // Bytes, not Characters: "\r\n" is one Character in Swift.
                while let newline = self.pending.firstIndex(of: 0x0A) {
                    var line = String(decoding: self.pending[..<newline], as: UTF8.self)
                    if line.last == "\r" { line.removeLast() }
                    self.pending.removeSubrange(...newline)
                    if line.hasPrefix(prefix) { return line }
                }
                guard let bytes = await self.inbound.next() else { throw ScriptedServerClosed() }
                self.pending += bytes.readableBytesView
            }
        }

        func close() async throws {
            try await self.channel.close()
        }

        deinit {
            self.channel.close(promise: nil)
        }
    }
}

struct ScriptedServerClosed: Error {}
