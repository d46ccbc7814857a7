import ArgumentParser
import Foundation
import NIOCore
import Synchronization
import Wire
import WireChat
import WireFraming

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Join a chat room as NAME: send lines, print what the others say.",
        discussion: """
            Sends the username, then every line of standard input as one text, and prints every record received as "NAME > TEXT". In a terminal it keeps your half-typed line under the incoming messages (Backspace, Ctrl-U and Ctrl-W edit it, Ctrl-D on an empty line leaves, Ctrl-C stops); with piped input it prints the records only. Empty lines are not sent. Commands: /who lists who is online, /quit leaves, /help shows them; any other /command is refused here rather than sent, and a line starting with // sends the rest starting with one /. Works with wire chat-server and with the tutorial's Python chat server.

            With wire chat-server it speaks Wire's own protocol: when the connection drops (a reset, the server restarting, or a silence of three heartbeats, 10 seconds each by default), it says so, connects again with backoff and resumes: what was said meanwhile is printed once, in order, after the room's note of how much was missed (and how much it no longer keeps). --plain speaks the tutorial's protocol only, for the tutorial's Python server.

            Exit status: 0 after /quit or the end of standard input; 1 when the server evicts this client, cannot be reached again within --give-up-after seconds (with --no-reconnect or --plain: when the connection drops), or on an error; 2 for a usage error; 3 when the server refuses the username or the secret.

            Examples:
              wire chat --username alice
              wire chat 127.0.0.1:1234 --username bob --timestamps
            """
    )

    @Option(help: "Your name in the room: not empty, no control characters, not [server].")
    var username: String

    @OptionGroup var addressArguments: AddressArguments

    @OptionGroup var framingOptions: FramingOptions

    @OptionGroup var tlsOptions: ClientTLSOptions

    @OptionGroup var secretOptions: SecretOptions

    @OptionGroup var heartbeatOptions: HeartbeatOptions

    @Flag(help: "Start every record with the time it arrived (HH:MM:SS).")
    var timestamps = false

    @Flag(help: "Never colour usernames (they are coloured only in a terminal anyway).")
    var noColor = false

    @Flag(help: "Print one JSON object per record: {\"text\":...,\"user\":...}.")
    var json = false

    @Flag(help: "Speak the tutorial's protocol only (no hello, no resuming): for the tutorial's Python chat server.")
    var plain = false

    @Flag(help: "Exit when the connection drops instead of connecting again.")
    var noReconnect = false

    @Option(help: "Give up after this many seconds without a connection (0: never).")
    var giveUpAfter: Double = 300

    func validate() throws {
        guard !self.username.isEmpty else { throw ValidationError("--username must not be empty.") }
        guard !self.username.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ValidationError("--username must not contain control characters.")
        }
        guard self.username != ChatRoom.serverName else {
            throw ValidationError("--username \(ChatRoom.serverName) is the server's own name.")
        }
        _ = try self.addressArguments.endpoint(defaultHost: "127.0.0.1", defaultPort: 1234, listening: false)
        try self.framingOptions.validateForChat()
        try self.heartbeatOptions.check(framing: self.framingOptions.framing)
        guard self.giveUpAfter >= 0, self.giveUpAfter.isFinite else {
            throw ValidationError("--give-up-after must be a number of seconds, 0 or more.")
        }
        if self.plain && (self.noReconnect || self.giveUpAfter != 300) {
            throw ValidationError(
                "--plain does not reconnect: --no-reconnect and --give-up-after need Wire's protocol."
            )
        }
    }

    func run() async throws {
        let (host, port) = try self.addressArguments.endpoint(
            defaultHost: "127.0.0.1",
            defaultPort: 1234,
            listening: false
        )
        let terminal = Terminal.isInteractive && !self.json ? Terminal() : nil
        defer { terminal?.restore() }
        let screen = ChatScreen(
            prompt: terminal == nil ? nil : "\(self.username) > ",
            timestamps: self.timestamps,
            colors: terminal != nil && !self.noColor,
            json: self.json
        )
        if self.plain {
            try await self.runPlain(host: host, port: port, terminal: terminal, screen: screen)
        } else {
            try await self.runResuming(host: host, port: port, terminal: terminal, screen: screen)
        }
    }

    /// Sends each line the user types (or pipes) as a text, answering local commands here, until
    /// `/quit` (returns `true`, the `/quit` sent) or the end of the input (`false`); Ctrl-C at the
    /// end of the input exits at once with status 130.
    private static func forwardInput(
        terminal: Terminal?,
        screen: ChatScreen,
        maximumMessageSize: Int,
        send: (String) async throws -> Void
    ) async throws -> Bool {
        let lines =
            terminal == nil ? ChatInput.piped(maximumMessageSize: maximumMessageSize) : ChatInput.typed(into: screen)
        for try await line in lines {
            switch ChatInput.interpret(line) {
            case .ignore:
                continue
            case .local(let text):
                screen.notice(text)
            case .send(let text):
                try await send(text)
                if text == "/quit" { return true }
            }
        }
        if ChatInput.interrupted.load(ordering: .relaxed) {
            screen.closed()
            terminal?.restore()
            Glibc.exit(130)
        }
        return false
    }

    /// Wire's protocol: a hello, heartbeats, and a session that connects again and resumes.
    private func runResuming(host: String, port: Int, terminal: Terminal?, screen: ChatScreen) async throws {
        let configuration = ClientConfiguration(
            framing: self.framingOptions.framing(rawMode: .chunks),
            maximumMessageSize: self.framingOptions.maxMessageSize,
            tls: try self.tlsOptions.makeTLS(),
            secret: try self.secretOptions.makeSecret()
        )
        let heartbeat =
            self.heartbeatOptions.heartbeat > 0
            ? seconds(self.heartbeatOptions.heartbeat) ?? .seconds(10) : .seconds(10)
        let chat = ChatResumingClient(
            host: host,
            port: port,
            username: self.username,
            configuration: configuration,
            heartbeat: heartbeat,
            giveUpAfter: self.noReconnect
                ? .zero : (self.giveUpAfter == 0 ? nil : .milliseconds(Int64(self.giveUpAfter * 1000)))
        )
        let maximumMessageSize = configuration.maximumMessageSize
        screen.showPrompt()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in chat.events {
                        switch event {
                        case .record(let record):
                            screen.show(record)
                        case .connected:
                            continue
                        case .lost(let reason, let retryIn):
                            screen.notice("connection lost: \(reason); connecting again in \(retryIn)")
                        case .retrying(let reason, let retryIn):
                            screen.notice("cannot connect: \(reason); trying again in \(retryIn)")
                        case .resumed:
                            screen.notice("connected again")
                        }
                    }
                }
                group.addTask {
                    _ = try await Self.forwardInput(
                        terminal: terminal,
                        screen: screen,
                        maximumMessageSize: maximumMessageSize
                    ) { text in
                        try await chat.send(text)
                    }
                    await chat.leave()
                }
                // The session ends: this side left, or the server ended it for good.
                try await chat.run()
                group.cancelAll()
                // What the session printed is printed before the process goes on.
                try? await group.next()
            }
        } catch let ending as ChatResumingClient.Ending {
            screen.closed()
            switch ending {
            case .refused(let reason):
                throw RefusedByServer(reason: reason)
            case .closed(let reason):
                throw ChatClosed(reason: reason)
            case .unreachable:
                throw ChatClosed(reason: ending.description)
            }
        }
        screen.closed()
    }

    private enum Finished {
        case serverClosed
        case inputEnded
        case quit
    }

    /// The tutorial's protocol: the username first, records of two frames, no resuming.
    private func runPlain(host: String, port: Int, terminal: Terminal?, screen: ChatScreen) async throws {
        let configuration = ClientConfiguration(
            framing: self.framingOptions.framing(rawMode: .chunks),
            maximumMessageSize: self.framingOptions.maxMessageSize,
            tls: try self.tlsOptions.makeTLS(),
            heartbeatInterval: seconds(self.heartbeatOptions.heartbeat),
            secret: try self.secretOptions.makeSecret()
        )
        let finished = try await ChatClient.join(
            host: host,
            port: port,
            username: self.username,
            configuration: configuration
        ) { session in
            screen.showPrompt()
            let maximumMessageSize = configuration.maximumMessageSize
            return try await withThrowingTaskGroup(of: Finished.self) { group in
                group.addTask {
                    var first = true
                    for try await record in session.records {
                        // The server says why it refuses or evicts this client as a notice, then closes.
                        if record.username == ChatRoom.serverName {
                            if first, record.text.hasPrefix("refused: ") {
                                throw RefusedByServer(reason: String(record.text.dropFirst("refused: ".count)))
                            }
                            if record.text.hasPrefix("evicted: ") {
                                screen.show(record)
                                throw ChatClosed(
                                    reason: "evicted by the server: \(record.text.dropFirst("evicted: ".count))"
                                )
                            }
                            if record.text.hasPrefix("closed: ") {
                                screen.show(record)
                                throw ChatClosed(
                                    reason:
                                        "the server closed the connection: \(record.text.dropFirst("closed: ".count))"
                                )
                            }
                        }
                        first = false
                        screen.show(record)
                    }
                    return .serverClosed
                }
                group.addTask {
                    do {
                        let quit = try await Self.forwardInput(
                            terminal: terminal,
                            screen: screen,
                            maximumMessageSize: maximumMessageSize
                        ) { text in
                            try await session.send(contentsOf: CollectionOfOne(ByteBuffer(string: text)))
                        }
                        if quit { return .quit }
                        try await session.leave()
                    } catch is ConnectionError {
                        // The connection ended under this task: the reading task says how, and
                        // that is what the user sees.
                    } catch is CancellationError {
                        // The reading task ended first (the server closed) and cancelled this one.
                    }
                    return .inputEnded
                }
                // Whichever ends first says how: this side leaving, or the server closing on it.
                var outcome: Finished?
                while let next = try await group.next() {
                    if outcome == nil { outcome = next }
                    if next == .serverClosed { group.cancelAll() }
                }
                return outcome ?? .inputEnded
            }
        }
        screen.closed()
        if finished == .serverClosed {
            throw ChatClosed(reason: "the server closed the connection")
        }
    }
}
