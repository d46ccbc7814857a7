import ArgumentParser
import Logging
import ServiceLifecycle
import UnixSignals
import Wire
import WireChat
import WireFraming
import WireNATS
import WireSecurity

struct ChatServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat-server",
        abstract: "Host the tutorial's chat room, safe from slow and hostile clients.",
        discussion: """
            Speaks the tutorial's chat protocol byte for byte: the first frame is the username, every later frame a text, relayed to everyone else as two frames (username, text). Joins and leaves are announced by "\(ChatRoom.serverName)" (off with --quiet); /who lists who is online and /quit leaves.

            Flow control: no client that keeps reading ever loses a message. When one falls behind, the others' messages wait for it (their sockets are not read meanwhile); a client that reads nothing for --stall-timeout seconds while messages wait for it is evicted with a notice, and the room goes on at full speed.

            Examples:
              wire chat-server 1234 --history 20
              wire chat-server [::1]:4000 --stall-timeout 10
              wire chat-server 1234 --nats nats://127.0.0.1:4222 --room lobby

            Many nodes: every chat-server started with --nats on the same NATS server (or cluster) and the same --room shares one room. Texts, joins and leaves cross to the other nodes, /who lists every node's members, and a username taken on another node is refused. If NATS goes away, each node keeps serving its own members, tells them the room is split, reconnects by itself and tells them when the room is whole again.

            Where the NATS server has JetStream (nats-server -js), the room is kept in a stream, WIRE_CHAT_<room>: every node delivers every text in the stream's order, and a node that was cut off, a NATS server that restarted or a node that restarted loses nothing the stream still keeps (--stream-max-age, --stream-max-bytes); --history replays the room's last texts from the stream on any node. Without JetStream, or with --nats-core, the nodes are linked over core NATS, which keeps nothing.
            """
    )

    @OptionGroup var addressArguments: AddressArguments

    @OptionGroup var framingOptions: FramingOptions

    @OptionGroup var tlsOptions: ServerTLSOptions

    @OptionGroup var secretOptions: SecretOptions

    @OptionGroup var heartbeatOptions: HeartbeatOptions

    @Flag(help: "Do not announce joins and leaves: a byte-for-byte tutorial room.")
    var quiet = false

    @Option(help: "Newcomers first receive the last N texts of the room.")
    var history = 0

    @Option(
        help:
            "Connections the kernel holds before they are accepted, on each port (default: the system's maximum, \(ListenBacklog.systemMaximum) here)."
    )
    var backlog = ListenBacklog.systemMaximum

    @Option(help: "Texts kept for Wire's own clients that come back after a lost connection (0: none).")
    var resumeLog = 1000

    @Option(help: "Evict a client that reads nothing for this many seconds while messages wait for it.")
    var stallTimeout: Double = 5

    @Option(
        help: "Bytes that may wait for one client before it is evicted at once (a safety net under --stall-timeout)."
    )
    var maxQueuedBytes = 64 * 1024 * 1024

    @Option(help: "Longest username, in bytes.")
    var maxUsernameBytes = 32

    @Option(
        help:
            "Close a client (TCP or browser) that has not sent its username this many seconds after connecting (0: off)."
    )
    var usernameTimeout: Double = 10

    @Option(help: "Close a client (TCP or browser) after this many seconds without a message either way (0: never).")
    var idleTimeout: Double = 3600

    @Option(
        help:
            "Clients served at once on each port (TCP, and web with --web-port); the next TCP client gets a notice and is closed, the next web connection is closed at once."
    )
    var maxConnections = 16384

    @Option(
        help:
            "Also serve the chat page at / and browsers' WebSocket members at /chat on this port (0 picks a free one)."
    )
    var webPort: Int?

    @Option(help: "Host name or IP address of the web port.")
    var webHost = "127.0.0.1"

    @Option(help: "Seconds members may go on after SIGINT or SIGTERM (they are told the server is shutting down).")
    var shutdownGrace: Double = 5

    @Option(
        help:
            "Share the room with other nodes through these NATS servers (nats://[USER:PASS@]HOST[:PORT], tls://..., comma-separated)."
    )
    var nats: String?

    @Option(
        help:
            "The room's name on NATS: nodes with the same name form one room (letters, digits, - and _; default: lobby)."
    )
    var room: String?

    @Option(help: "PEM file of the certificate authorities trusted for tls:// NATS servers (default: the system's).")
    var natsCA: String?

    @OptionGroup(title: "Keeping the room (with --nats)")
    var streamOptions: StreamOptions

    @Flag(help: "Print every text received, as the tutorial's server does (\"Received message from NAME: TEXT\").")
    var showMessages = false

    @Flag(name: .shortAndLong, help: "Log connection events to standard error.")
    var verbose = false

    @OptionGroup var logOptions: LogOptions

    @OptionGroup(title: "Metrics and health") var metricsOptions: MetricsOptions

    func validate() throws {
        _ = try self.addressArguments.endpoint(defaultHost: "127.0.0.1", defaultPort: 1234, listening: true)
        try self.heartbeatOptions.check(framing: self.framingOptions.framing)
        try self.framingOptions.validateForChat()
        guard self.history >= 0 else { throw ValidationError("--history must not be negative.") }
        guard self.backlog > 0 else { throw ValidationError("--backlog must be positive, got \(self.backlog).") }
        guard self.resumeLog >= 0 else { throw ValidationError("--resume-log must not be negative.") }
        guard self.stallTimeout >= 0.001, self.stallTimeout.isFinite else {
            throw ValidationError("--stall-timeout must be at least 0.001 seconds.")
        }
        guard self.maxQueuedBytes > 0 else { throw ValidationError("--max-queued-bytes must be positive.") }
        guard self.maxUsernameBytes > 0 else { throw ValidationError("--max-username-bytes must be positive.") }
        guard self.usernameTimeout >= 0, self.idleTimeout >= 0 else {
            throw ValidationError("timeouts must not be negative.")
        }
        guard self.maxConnections > 0 else { throw ValidationError("--max-connections must be positive.") }
        if let port = self.webPort, !(0...65535).contains(port) {
            throw ValidationError("--web-port must be a number from 0 to 65535; got \(port).")
        }
        guard self.shutdownGrace >= 0, self.shutdownGrace.isFinite else {
            throw ValidationError("--shutdown-grace must not be negative.")
        }
        _ = try self.natsConfiguration()
    }

    /// The link to other nodes, if --nats is given.
    func natsConfiguration(tls: ReloadableTLS? = nil) throws -> ChatNATSConfiguration? {
        guard let nats = self.nats else {
            guard self.natsCA == nil else { throw ValidationError("--nats-ca needs --nats.") }
            guard self.room == nil else {
                throw ValidationError("--room needs --nats: without NATS the room is this node's alone.")
            }
            guard !self.streamOptions.natsCore, !self.streamOptions.isSet else {
                throw ValidationError("--nats-core and --stream-... options need --nats.")
            }
            return nil
        }
        do {
            let servers = try NATSServerAddress.list(nats)
            let tls = try tls ?? self.natsTLS()
            var configuration = try ChatNATSConfiguration(servers: servers, room: self.room ?? "lobby", tls: tls)
            configuration.usesJetStream = !self.streamOptions.natsCore
            configuration.stream = try self.streamOptions.limits()
            return configuration
        } catch let error as NATSClientError {
            throw ValidationError("--nats: \(error)")
        } catch let error as ChatError {
            throw ValidationError("--room: \(error)")
        }
    }

    /// TLS towards NATS servers, trusting --nats-ca (read again on SIGHUP).
    func natsTLS() throws -> ReloadableTLS? {
        try self.natsCA.map { path in try ReloadableTLS { try WireTLS.client(trustedCertificatesPath: path) } }
    }

    func run() async throws {
        let (host, port) = try self.addressArguments.endpoint(
            defaultHost: "127.0.0.1",
            defaultPort: 1234,
            listening: true
        )
        let logger = self.logOptions.logger(label: "wire.chat-server", verbose: self.verbose)
        let tls = try self.tlsOptions.makeTLS()
        let natsTLS = try self.natsTLS()
        var reloadable = self.tlsOptions.reloadable(tls)
        if let natsTLS, let path = self.natsCA {
            reloadable.append(ReloadableFiles(description: "the NATS certificate authorities \(path)", tls: natsTLS))
        }
        let operations = Operations(
            options: self.metricsOptions,
            servedElsewhere: self.webPort != nil,
            linked: self.nats != nil
        )
        var configuration = ChatServerConfiguration(
            server: ServerConfiguration(
                host: host,
                port: port,
                framing: self.framingOptions.framing(rawMode: .chunks),
                maximumMessageSize: self.framingOptions.maxMessageSize,
                backlog: self.backlog,
                shutdownGracePeriod: .milliseconds(Int64(self.shutdownGrace * 1000)),
                idleTimeout: seconds(self.idleTimeout),
                firstMessageTimeout: seconds(self.usernameTimeout),
                maximumConnections: self.maxConnections,
                tls: tls,
                heartbeatInterval: seconds(self.heartbeatOptions.heartbeat),
                secret: try self.secretOptions.makeSecret(),
                metricsFactory: operations.metricsFactory
            ),
            maximumUsernameBytes: self.maxUsernameBytes,
            stallTimeout: .milliseconds(Int64((self.stallTimeout * 1000).rounded())),
            maximumQueuedBytes: self.maxQueuedBytes,
            historySize: self.history,
            resumeLogSize: self.resumeLog,
            announcesMembership: !self.quiet,
            reportsTexts: self.showMessages,
            webHost: self.webHost,
            webPort: self.webPort,
            nats: try self.natsConfiguration(tls: natsTLS)
        )
        configuration.webPages = operations.endpoints?.webPages ?? [:]
        let log = LogOutput(Output.standardOutput)
        defer { log.flush() }
        let output = self.logOptions.lines { log.line($0) }
        let room = self.room ?? "lobby"
        let health = operations.health
        let server = ChatServer(
            configuration: configuration,
            logger: logger,
            onListening: { [configuration] address in
                health.listening()
                output.line(
                    "Listening on \(address.endpointDescription) (\(configuration.server.framing) framing)",
                    ["address": address.endpointDescription, "framing": "\(configuration.server.framing)"]
                )
            },
            onWebListening: { [configuration] address in
                let scheme = configuration.server.tls == nil ? "http" : "https"
                output.line(
                    "Serving the chat page on \(scheme)://\(address.endpointDescription)/ (WebSocket at /chat)",
                    ["address": address.endpointDescription, "url": "\(scheme)://\(address.endpointDescription)/"]
                )
            },
            onEvent: { event in
                health.record(event)
                Self.report(event, room: room, to: output)
            }
        )
        try await runUntilInterrupted(
            server,
            beside: operations.metricsServer(output: output),
            openConnections: { server.openConnections },
            logger: logger,
            lines: self.logOptions.lines { Output.standardError.line($0) },
            onShutdown: { health.shuttingDown() },
            onHangUp: { [reloadable] in reloadCertificates(reloadable, lines: output) }
        )
    }
}
