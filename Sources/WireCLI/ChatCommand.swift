import ArgumentParser
import Foundation
import NIOCore
import Wire
import WireChat
import WireFraming

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Join a chat room as NAME: send lines, print what the others say.",
        discussion: """
            Sends the username, then every line of standard input as one text, and prints every record received as "NAME > TEXT". In a terminal it keeps a prompt under the incoming lines; with piped input it prints the records only. Works with wire chat-server and with the tutorial's Python chat server.

            Exit status: 0 after /quit or the end of standard input; 1 when the server closes the connection or evicts this client, or on an error; 2 for a usage error; 3 when the server refuses the username or the secret.

            Examples:
              wire chat --username alice
              wire chat 127.0.0.1:1234 --username bob
            """
    )

    @Option(help: "Your name in the room (at most 32 bytes).")
    var username: String

    @OptionGroup var addressArguments: AddressArguments

    @OptionGroup var framingOptions: FramingOptions

    @OptionGroup var tlsOptions: ClientTLSOptions

    @OptionGroup var secretOptions: SecretOptions

    @OptionGroup var heartbeatOptions: HeartbeatOptions

    func validate() throws {
        guard !self.username.isEmpty else { throw ValidationError("--username must not be empty.") }
        _ = try self.addressArguments.endpoint(defaultHost: "127.0.0.1", defaultPort: 1234, listening: false)
        try self.framingOptions.validateForChat()
        try self.heartbeatOptions.check(framing: self.framingOptions.framing)
    }

    private enum Finished {
        case serverClosed
        case inputEnded
        case quit
    }

    func run() async throws {
        let (host, port) = try self.addressArguments.endpoint(defaultHost: "127.0.0.1", defaultPort: 1234, listening: false)
        let prompt = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 ? "\(self.username) > " : nil
        let screen = ChatScreen(prompt: prompt)
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
                                throw ChatClosed(reason: "evicted by the server: \(record.text.dropFirst("evicted: ".count))")
                            }
                        }
                        first = false
                        screen.show(record)
                    }
                    return .serverClosed
                }
                group.addTask {
                    do {
                        for try await line in StandardInputMessages(.lines, maximumMessageSize: maximumMessageSize) {
                            screen.typed()
                            try await session.send(contentsOf: CollectionOfOne(line))
                            if line.readableBytesView.elementsEqual("/quit".utf8) {
                                return .quit
                            }
                        }
                        try await session.leave()
                    } catch is ConnectionError {
                    } catch is CancellationError {
                    }
                    return .inputEnded
                }
                // The server closing after this side's input ended (and it left) is the normal end.
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

/// The chat ended from the server's side while this client was still in the room.
struct ChatClosed: Error, CustomStringConvertible {
    let reason: String
    var description: String { self.reason }
}

/// The terminal side of `wire chat`: incoming records above a prompt that stays usable.
final class ChatScreen: Sendable {
    let prompt: String?

    init(prompt: String?) {
        self.prompt = prompt
    }

    func showPrompt() {
        if let prompt { Output.standardOutput.write(prompt) }
    }

    /// The user pressed Enter: the terminal already moved to a new line.
    func typed() {
        self.showPrompt()
    }

    func show(_ record: ChatRecord) {
        let line = "\(escapedLine(record.username)) > \(escapedLine(record.text))"
        if let prompt {
            // Clear the prompt line, print the record, then the prompt again below it.
            Output.standardOutput.write("\r\u{1b}[K" + line + "\n" + prompt)
        } else {
            Output.standardOutput.line(line)
        }
    }

    func closed() {
        if self.prompt != nil { Output.standardOutput.write("\r\u{1b}[K") }
    }
}
