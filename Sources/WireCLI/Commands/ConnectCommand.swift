import ArgumentParser
import NIOCore
import Wire
import WireFraming

struct ConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Connect, send standard input, and print every message received.",
        discussion: """
            Like nc: with --framing raw, standard input goes to the server and what the server sends goes to standard output, byte for byte, with nothing decoded or added. In the other framings each --send text is one message, then each line of standard input (or each NUL-separated record with -0, or all of it with --stdin-message); every message received is printed on one line with control characters escaped (--output-format changes that). At the end of standard input the sending side is half-closed and the client goes on receiving until the server closes.

            Exit status: 0 when the server closes normally; 1 on an error (refused, reset, a framing error), with one line on standard error; 2 for a usage error; 3 when the server refuses this client (authentication).

            Examples:
              wire connect 127.0.0.1 1234 --framing raw < photo.jpg > echoed.jpg
              wire connect --framing raw --buffer-size 8 --show-chunks     # prints "Hey ther", "e!!!"
              echo hello | wire connect [::1]:9000 --framing length --json
              wire connect --decode pickle          # the tutorial's part 3: prints {1: 'hi', 2: 'there'}
              wire connect --encode pickle --send "{1: 'hi', 2: 'there'}"
            """
    )

    @OptionGroup var addressArguments: AddressArguments

    @OptionGroup var framingOptions: FramingOptions

    @OptionGroup var tlsOptions: ClientTLSOptions

    @OptionGroup var secretOptions: SecretOptions

    @OptionGroup var heartbeatOptions: HeartbeatOptions

    @OptionGroup var pickleOptions: PickleOptions

    @Option(help: "Size of each socket read in bytes (the tutorial's recv(N)); default: adapts to the traffic.")
    var bufferSize: Int?

    @Option(help: "Send this text as one message before standard input; repeatable.")
    var send: [String] = []

    @Flag(name: [.customShort("0"), .long], help: "Standard input holds NUL-separated messages instead of lines.")
    var nullSeparated = false

    @Flag(help: "All of standard input is one message (binary payloads).")
    var stdinMessage = false

    @Option(
        help:
            "How to print messages received: text (escaped lines), raw (bytes as they are), null (NUL after each), framed (in the connection's framing) or json. Default: raw with --framing raw, text otherwise."
    )
    var outputFormat: OutputFormat?

    @Flag(help: "Print one JSON object per message received (as --output-format json).")
    var json = false

    @Flag(
        help: "In raw framing, print every chunk as it arrives, each followed by a newline (the tutorial's recv loop)."
    )
    var showChunks = false

    @Option(help: "Seconds to wait for the connection to be established.")
    var connectTimeout: Double = 10

    @Option(help: "Close the connection after this many seconds without a message either way (0: never).")
    var idleTimeout: Double = 0

    @Flag(name: .shortAndLong, help: "Log connection events to standard error.")
    var verbose = false

    func validate() throws {
        _ = try self.addressArguments.endpoint(defaultHost: "127.0.0.1", defaultPort: 1234, listening: false)
        if let size = self.bufferSize, size <= 0 {
            throw ValidationError("--buffer-size must be positive, got \(size).")
        }
        guard self.connectTimeout > 0, self.connectTimeout.isFinite else {
            throw ValidationError("--connect-timeout must be a positive number of seconds, got \(self.connectTimeout).")
        }
        guard self.idleTimeout >= 0 else {
            throw ValidationError("--idle-timeout must not be negative, got \(self.idleTimeout).")
        }
        if self.nullSeparated && self.stdinMessage {
            throw ValidationError("-0/--null-separated and --stdin-message exclude each other.")
        }
        if self.json, let format = self.outputFormat, format != .json {
            throw ValidationError("--json and --output-format \(format.rawValue) exclude each other.")
        }
        if self.framingOptions.framing == .raw && (self.pickleOptions.decode != nil || self.pickleOptions.encode != nil)
        {
            throw ValidationError("--decode and --encode need a framing with messages; --framing raw has none.")
        }
        if self.pickleOptions.decode != nil, let format = self.outputFormat, format != .text, format != .json {
            throw ValidationError(
                "--decode pickle prints objects as text or --json; not --output-format \(format.rawValue)."
            )
        }
        if self.framingOptions.framing == .raw {
            if self.nullSeparated || self.stdinMessage {
                throw ValidationError(
                    "--framing raw sends standard input as a byte stream; -0 and --stdin-message need a framing with messages."
                )
            }
        } else if self.showChunks {
            throw ValidationError("--show-chunks is for --framing raw.")
        }
        try self.heartbeatOptions.check(framing: self.framingOptions.framing)
    }

    private enum Finished {
        case receiving
        case sending
    }

    func run() async throws {
        let (host, port) = try self.addressArguments.endpoint(
            defaultHost: "127.0.0.1",
            defaultPort: 1234,
            listening: false
        )
        let isRaw = self.framingOptions.framing == .raw
        let framing = self.framingOptions.framing(rawMode: .chunks)
        let configuration = ClientConfiguration(
            framing: framing,
            maximumMessageSize: self.framingOptions.maxMessageSize,
            connectTimeout: .milliseconds(Int64(self.connectTimeout * 1000)),
            readBufferSize: self.bufferSize,
            idleTimeout: seconds(self.idleTimeout),
            tls: try self.tlsOptions.makeTLS(),
            heartbeatInterval: seconds(self.heartbeatOptions.heartbeat),
            secret: try self.secretOptions.makeSecret()
        )
        let format = self.json ? .json : (self.outputFormat ?? (isRaw ? .raw : .text))
        let printer = MessagePrinter(
            format: format,
            framing: framing,
            output: .standardOutput,
            content: self.pickleOptions.decode
        )
        let pickleOptions = self.pickleOptions
        let showChunks = self.showChunks
        // --send texts are checked (and pickled) before connecting.
        let texts = try self.send.map { try self.pickleOptions.message(from: $0) }
        let input = StandardInputMessages(
            isRaw ? .stream : self.nullSeparated ? .nullSeparated : self.stdinMessage ? .whole : .lines,
            maximumMessageSize: self.framingOptions.maxMessageSize
        )
        try await WireClient.withConnection(
            host: host,
            port: port,
            configuration: configuration,
            logger: makeLogger(label: "wire.connect", verbose: self.verbose)
        ) { connection in
            try await withThrowingTaskGroup(of: Finished.self) { group in
                group.addTask {
                    for try await message in connection.messages {
                        if showChunks {
                            var line = message
                            line.writeInteger(UInt8(ascii: "\n"))
                            Output.standardOutput.write(line)
                        } else {
                            try printer.print(message)
                        }
                    }
                    return .receiving
                }
                group.addTask {
                    do {
                        for text in texts {
                            try await connection.send(text)
                        }
                        for try await message in input {
                            try await connection.send(try pickleOptions.message(from: message))
                        }
                        try await connection.finish()
                    } catch is ConnectionError {
                        // The server closed first; the receiving side reports how.
                    } catch is CancellationError {
                        // The server closed while this side was still sending.
                    }
                    return .sending
                }
                while let finished = try await group.next() {
                    if finished == .receiving {
                        group.cancelAll()
                    }
                }
            }
        }
    }
}
