import ArgumentParser
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import UnixSignals
import Wire
import WireFraming

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Accept connections and greet, echo or print their messages.",
        discussion: """
            Prints "Connection from IP:PORT has been established." for every connection. Without --echo or --sink, every message received is printed as one line, control characters escaped; with --framing raw it is like nc -l instead: the bytes received go to standard output exactly as they are (the connection lines then go to standard error), and standard input goes to the first connection. SIGINT or SIGTERM stops accepting, lets open connections finish, and exits 0.

            Exit status: 0 after SIGINT or SIGTERM; 1 when it cannot listen or set up TLS, with one line on standard error; 2 for a usage error.

            Examples:
              wire serve 4000 --framing raw > received.bin
              wire serve --framing raw --greeting "Hey there!!!" --close-after-greeting
              wire serve --port 0 --framing length --echo
              wire serve --encode pickle --greeting "{1: 'hi', 2: 'there'}" --close-after-greeting   # the tutorial's part 3
            """
    )

    @OptionGroup var addressArguments: AddressArguments

    @Flag(name: .shortAndLong, help: .hidden)
    var listen = false

    @OptionGroup var framingOptions: FramingOptions

    @OptionGroup var tlsOptions: ServerTLSOptions

    @OptionGroup var secretOptions: SecretOptions

    @OptionGroup var heartbeatOptions: HeartbeatOptions

    @OptionGroup var pickleOptions: PickleOptions

    @Option(
        help:
            "Connections the kernel holds before they are accepted (default: the system's maximum, \(ListenBacklog.systemMaximum) here)."
    )
    var backlog = ListenBacklog.systemMaximum

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

    @Flag(help: "With --framing raw, do not send standard input to the first connection (as nc -d).")
    var noStdin = false

    @Option(
        help:
            "How to print messages received (without --echo or --sink): text (escaped lines), raw, null, framed or json. Default: raw with --framing raw, text otherwise."
    )
    var outputFormat: OutputFormat?

    @Flag(help: "Print one JSON object per message received (as --output-format json).")
    var json = false

    @Option(help: "Seconds open connections may go on after SIGINT or SIGTERM.")
    var shutdownGrace: Double = 5

    @Option(help: "Close a connection after this many seconds without a message either way (0: never).")
    var idleTimeout: Double = 300

    @Option(
        help: "Close a connection that has not completed a first message this many seconds after connecting (0: off)."
    )
    var firstMessageTimeout: Double = 0

    @Option(help: "Connections served at once; the next gets a notice and is closed.")
    var maxConnections = 16384

    @Flag(name: .shortAndLong, help: "Log connection events to standard error.")
    var verbose = false

    @OptionGroup var logOptions: LogOptions

    @OptionGroup(title: "Metrics and health") var metricsOptions: MetricsOptions

    func validate() throws {
        _ = try self.addressArguments.endpoint(defaultHost: "127.0.0.1", defaultPort: 1234, listening: true)
        try self.heartbeatOptions.check(framing: self.framingOptions.framing)
        guard self.backlog > 0 else {
            throw ValidationError("--backlog must be positive, got \(self.backlog).")
        }
        if let size = self.bufferSize, size <= 0 {
            throw ValidationError("--buffer-size must be positive, got \(size).")
        }
        if self.echo && self.sink {
            throw ValidationError("--echo and --sink exclude each other.")
        }
        if self.framingOptions.framing == .raw && (self.pickleOptions.decode != nil || self.pickleOptions.encode != nil)
        {
            throw ValidationError("--decode and --encode need a framing with messages; --framing raw has none.")
        }
        if self.pickleOptions.encode != nil && self.greeting == nil {
            throw ValidationError("--encode pickle encodes the --greeting; give one.")
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
        if self.json, let format = self.outputFormat, format != .json {
            throw ValidationError("--json and --output-format \(format.rawValue) exclude each other.")
        }
        guard self.maxConnections > 0 else {
            throw ValidationError("--max-connections must be positive, got \(self.maxConnections).")
        }
    }

    func run() async throws {
        let (host, port) = try self.addressArguments.endpoint(
            defaultHost: "127.0.0.1",
            defaultPort: 1234,
            listening: true
        )
        let logger = self.logOptions.logger(label: "wire.serve", verbose: self.verbose)
        let tls = try self.tlsOptions.makeTLS()
        let operations = Operations(options: self.metricsOptions)
        let configuration = ServerConfiguration(
            host: host,
            port: port,
            framing: self.framingOptions.framing(rawMode: .chunks),
            maximumMessageSize: self.framingOptions.maxMessageSize,
            backlog: self.backlog,
            readBufferSize: self.bufferSize,
            shutdownGracePeriod: .milliseconds(Int64(self.shutdownGrace * 1000)),
            idleTimeout: seconds(self.idleTimeout),
            firstMessageTimeout: seconds(self.firstMessageTimeout),
            maximumConnections: self.maxConnections,
            tls: tls,
            heartbeatInterval: seconds(self.heartbeatOptions.heartbeat),
            secret: try self.secretOptions.makeSecret(),
            metricsFactory: operations.metricsFactory
        )
        // The greeting as a message (pickled with --encode pickle), refused at start-up if the
        // framing cannot carry it, rather than on every connection.
        let greeting = try self.greeting.map { try self.pickleOptions.message(from: $0) }
        if let greeting {
            try MessageEncoder(framing: configuration.framing, maximumMessageSize: configuration.maximumMessageSize)
                .validate(greeting)
        }
        // Like nc -l: raw bytes received go to standard output untouched, so the server's own
        // lines go to standard error.
        let printsData = !self.echo && !self.sink && !self.closeAfterGreeting
        let isRawStream = self.framingOptions.framing == .raw && printsData
        // The server's own lines wait in a queue of their own, so that an unread standard output
        // never stops the event loops; but where received messages are printed on the same
        // stream, they go in order with them (and printing is then the backpressure).
        let statusStream = isRawStream ? Output.standardError : Output.standardOutput
        let log = LogOutput(statusStream)
        defer { log.flush() }
        let sharesStream = printsData && !isRawStream
        let output: StatusLines
        if sharesStream {
            output = self.logOptions.lines { text in statusStream.line(text) }
        } else {
            output = self.logOptions.lines { text in log.line(text) }
        }
        let printer = MessagePrinter(
            format: self.json ? .json : self.outputFormat ?? (self.framingOptions.framing == .raw ? .raw : .text),
            framing: configuration.framing,
            output: .standardOutput,
            content: self.pickleOptions.decode
        )
        let input =
            isRawStream && !self.noStdin
            ? StandardInputForwarder(maximumMessageSize: configuration.maximumMessageSize) : nil
        let behaviour: ServeHandler.Behaviour =
            self.closeAfterGreeting
            ? .closeAfterGreeting
            : self.echo
                ? .echo
                : self.sink
                    ? .sink
                    : .print(printer, input: input)
        let handler = ServeHandler(
            greeting: greeting,
            behaviour: behaviour,
            output: self.quiet ? nil : output,
            errors: output
        )
        let server = WireServer(
            configuration: configuration,
            logger: logger,
            onListening: { [health = operations.health] address in
                health.listening()
                output.line(
                    "Listening on \(address.endpointDescription) (\(configuration.framing) framing)",
                    ["address": address.endpointDescription, "framing": "\(configuration.framing)"]
                )
            },
            handler: handler.serve
        )
        // Like nc, a closed terminal ends it, unless there is a certificate to read again.
        let reloadable = self.tlsOptions.reloadable(tls)
        let hangUp: (@Sendable () -> Void)? =
            reloadable.isEmpty ? nil : { @Sendable in reloadCertificates(reloadable, lines: output) }
        try await runUntilInterrupted(
            server,
            beside: operations.metricsServer(output: output),
            openConnections: { server.openConnections },
            logger: logger,
            lines: self.logOptions.lines { Output.standardError.line($0) },
            onShutdown: { [health = operations.health] in health.shuttingDown() },
            onHangUp: hangUp
        )
    }
}
