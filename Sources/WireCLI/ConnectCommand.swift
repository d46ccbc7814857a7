import ArgumentParser
import NIOCore
import Wire
import WireFraming

struct ConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Connect, send messages, and print every message received.",
        discussion: """
            Sends each --send text as one message, then each line of standard input as one message. At the end of standard input it half-closes its sending side and keeps receiving until the server closes. Every message received is printed followed by a newline. Exits 0 when the server closes normally.

            Examples:
              wire connect --framing raw --buffer-size 8 --show-chunks     # prints "Hey ther", "e!!!"
              echo hello | wire connect --port 9000 --framing length
            """
    )

    @Option(help: "Host name or IP address to connect to.")
    var host = "127.0.0.1"

    @Option(help: "Port to connect to.")
    var port = 1234

    @OptionGroup var framingOptions: FramingOptions

    @OptionGroup var tlsOptions: ClientTLSOptions

    @OptionGroup var secretOptions: SecretOptions

    @OptionGroup var heartbeatOptions: HeartbeatOptions

    @Option(help: "Size of each socket read in bytes (the tutorial's recv(N)).")
    var bufferSize = 1024

    @Option(help: "Send this text as one message before standard input; repeatable.")
    var send: [String] = []

    @Flag(help: "In raw framing, print every chunk as it arrives instead of the whole stream at the end.")
    var showChunks = false

    @Option(help: "Seconds to wait for the connection to be established.")
    var connectTimeout: Double = 10

    @Option(help: "Close the connection after this many seconds without a message either way (0: never).")
    var idleTimeout: Double = 0

    @Flag(name: .shortAndLong, help: "Log connection events to standard error.")
    var verbose = false

    func validate() throws {
        try validatePort(self.port, listening: false)
        guard self.bufferSize > 0 else {
            throw ValidationError("--buffer-size must be positive, got \(self.bufferSize).")
        }
        guard self.connectTimeout > 0 else {
            throw ValidationError("--connect-timeout must be positive.")
        }
    }

    private enum Finished {
        case receiving
        case sending
    }

    func run() async throws {
        let configuration = ClientConfiguration(
            framing: self.framingOptions.framing(rawMode: self.showChunks ? .chunks : .wholeStream),
            maximumMessageSize: self.framingOptions.maxMessageSize,
            connectTimeout: .milliseconds(Int64(self.connectTimeout * 1000)),
            readBufferSize: self.bufferSize,
            idleTimeout: seconds(self.idleTimeout),
            tls: try self.tlsOptions.makeTLS(),
            heartbeatInterval: seconds(self.heartbeatOptions.heartbeat),
            secret: try self.secretOptions.makeSecret()
        )
        let output = Output.standardOutput
        let texts = self.send
        try await WireClient.withConnection(
            host: self.host,
            port: self.port,
            configuration: configuration,
            logger: makeLogger(label: "wire.connect", verbose: self.verbose)
        ) { connection in
            try await withThrowingTaskGroup(of: Finished.self) { group in
                group.addTask {
                    for try await message in connection.messages {
                        output.line(message)
                    }
                    return .receiving
                }
                group.addTask {
                    do {
                        for text in texts {
                            try await connection.send(text)
                        }
                        for await line in StandardInputLines() {
                            try await connection.send(line)
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
