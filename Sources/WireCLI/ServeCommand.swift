import ArgumentParser
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals
import Wire
import WireFraming

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Accept connections and greet, echo or print their messages.",
        discussion: """
            Prints "Connection from IP:PORT has been established." for every connection. Without --echo, every message received is printed as one line, control characters escaped. SIGINT or SIGTERM stops accepting, lets open connections finish, and exits 0.

            Examples:
              wire serve --framing raw --greeting "Hey there!!!" --close-after-greeting
              wire serve --port 0 --framing length --echo
            """
    )

    @Option(help: "Host name or IP address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port = 1234

    @OptionGroup var framingOptions: FramingOptions

    @OptionGroup var tlsOptions: ServerTLSOptions

    @OptionGroup var secretOptions: SecretOptions

    @OptionGroup var heartbeatOptions: HeartbeatOptions

    @Option(help: "Listen backlog.")
    var backlog = 128

    @Option(help: "Size of each socket read in bytes (default: adapts to the traffic).")
    var bufferSize: Int?

    @Option(help: "Send this text as one message to every new connection.")
    var greeting: String?

    @Flag(help: "Close each connection right after the greeting (the tutorial's server).")
    var closeAfterGreeting = false

    @Flag(help: "Send every message back, framed the same way and in order.")
    var echo = false

    @Flag(help: "Count messages until the peer half-closes, then reply with the count and close (the benchmark sink).")
    var sink = false

    @Flag(name: .shortAndLong, help: "Do not print a line per connection.")
    var quiet = false

    @Option(help: "Seconds open connections may go on after SIGINT or SIGTERM.")
    var shutdownGrace: Double = 5

    @Option(help: "Close a connection after this many seconds without a message either way (0: never).")
    var idleTimeout: Double = 300

    @Option(help: "Close a connection that has not completed a first message this many seconds after connecting (0: off).")
    var firstMessageTimeout: Double = 0

    @Option(help: "Connections served at once; the next gets a notice and is closed.")
    var maxConnections = 16384

    @Flag(name: .shortAndLong, help: "Log connection events to standard error.")
    var verbose = false

    func validate() throws {
        try validatePort(self.port, listening: true)
        guard self.backlog > 0 else {
            throw ValidationError("--backlog must be positive, got \(self.backlog).")
        }
        if let size = self.bufferSize, size <= 0 {
            throw ValidationError("--buffer-size must be positive, got \(size).")
        }
        if self.echo && self.sink {
            throw ValidationError("--echo and --sink exclude each other.")
        }
        if self.closeAfterGreeting && self.greeting == nil {
            throw ValidationError("--close-after-greeting needs --greeting TEXT.")
        }
        guard self.shutdownGrace >= 0 else {
            throw ValidationError("--shutdown-grace must not be negative.")
        }
        guard self.idleTimeout >= 0, self.firstMessageTimeout >= 0 else {
            throw ValidationError("timeouts must not be negative.")
        }
        guard self.maxConnections > 0 else {
            throw ValidationError("--max-connections must be positive, got \(self.maxConnections).")
        }
    }

    func run() async throws {
        let logger = makeLogger(label: "wire.serve", verbose: self.verbose)
        let configuration = ServerConfiguration(
            host: self.host,
            port: self.port,
            framing: self.framingOptions.framing(rawMode: .chunks),
            maximumMessageSize: self.framingOptions.maxMessageSize,
            backlog: self.backlog,
            readBufferSize: self.bufferSize,
            shutdownGracePeriod: .milliseconds(Int64(self.shutdownGrace * 1000)),
            idleTimeout: seconds(self.idleTimeout),
            firstMessageTimeout: seconds(self.firstMessageTimeout),
            maximumConnections: self.maxConnections,
            tls: try self.tlsOptions.makeTLS(),
            heartbeatInterval: seconds(self.heartbeatOptions.heartbeat),
            secret: try self.secretOptions.makeSecret()
        )
        if let greeting = self.greeting {
            // Refuse at start-up a greeting the framing cannot carry, rather than on every connection.
            try MessageEncoder(framing: configuration.framing, maximumMessageSize: configuration.maximumMessageSize)
                .validate(ByteBuffer(string: greeting))
        }
        let output = Output.standardOutput
        let server = WireServer(
            configuration: configuration,
            logger: logger,
            onListening: { address in
                output.line("Listening on \(address.endpointDescription) (\(configuration.framing) framing)")
            },
            handler: { [greeting, closeAfterGreeting, echo, sink, quiet] connection in
                let peer = connection.peerDescription
                if !quiet {
                    output.line("Connection from \(peer) has been established.")
                }
                do {
                    if let greeting {
                        try await connection.send(greeting)
                    }
                    if closeAfterGreeting {
                        // The tutorial's server: greet, then close.
                    } else if echo {
                        for try await message in connection.messages {
                            try await connection.send(message)
                        }
                    } else if sink {
                        var count = 0
                        for try await _ in connection.messages {
                            count += 1
                        }
                        try await connection.send(String(count))
                    } else {
                        for try await message in connection.messages {
                            output.line(escapedLine(message))
                        }
                    }
                    if !quiet {
                        output.line("Connection from \(peer) closed.")
                    }
                } catch {
                    output.line("Connection from \(peer) closed: \(error)")
                    throw error
                }
            }
        )
        let group = ServiceGroup(
            services: [server],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
    }
}

/// A duration from a flag in seconds, where 0 means "no limit".
func seconds(_ value: Double) -> Duration? {
    value > 0 ? .milliseconds(Int64(value * 1000)) : nil
}

func makeLogger(label: String, verbose: Bool) -> Logger {
    var logger = Logger(label: label, factory: { label in StreamLogHandler.standardError(label: label) })
    logger.logLevel = verbose ? .debug : .warning
    return logger
}
