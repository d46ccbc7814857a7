import ArgumentParser
import Foundation
import Wire
import WireChat
import WireFraming

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Join a chat room as NAME: send lines, print what the others say.",
        discussion: """
            Sends the username, then every line of standard input as one text, and prints every record received as "NAME > TEXT". In a terminal it keeps a prompt under the incoming lines; with piped input it prints the records only. Works with wire chat-server and with the tutorial's Python chat server.

            Example:
              wire chat --username alice --port 1234
            """
    )

    @Option(help: "Your name in the room (at most 32 bytes).")
    var username: String

    @Option(help: "Host name or IP address of the chat server.")
    var host = "127.0.0.1"

    @Option(help: "Port of the chat server.")
    var port = 1234

    @OptionGroup var framingOptions: FramingOptions

    @OptionGroup var tlsOptions: ClientTLSOptions

    @OptionGroup var secretOptions: SecretOptions

    @OptionGroup var heartbeatOptions: HeartbeatOptions

    func validate() throws {
        guard !self.username.isEmpty else { throw ValidationError("--username must not be empty.") }
        try validatePort(self.port, listening: false)
        try self.framingOptions.validateForChat()
    }

    private enum Finished {
        case serverClosed
        case inputEnded
    }

    func run() async throws {
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
            host: self.host,
            port: self.port,
            username: self.username,
            configuration: configuration
        ) { session in
            screen.showPrompt()
            return try await withThrowingTaskGroup(of: Finished.self) { group in
                group.addTask {
                    for try await record in session.records {
                        screen.show(record)
                    }
                    return .serverClosed
                }
                group.addTask {
                    do {
                        for await line in StandardInputLines() {
                            screen.typed()
                            try await session.send(line)
                        }
                        try await session.leave()
                    } catch is ConnectionError {
                    } catch is CancellationError {
                    }
                    return .inputEnded
                }
                // The server closing after this side's input ended (and it left) is the normal end.
                var outcome = Finished.inputEnded
                var inputEnded = false
                while let next = try await group.next() {
                    if next == .inputEnded {
                        inputEnded = true
                    } else {
                        outcome = inputEnded ? .inputEnded : .serverClosed
                        group.cancelAll()
                    }
                }
                return outcome
            }
        }
        screen.closed(byServer: finished == .serverClosed)
    }
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

    func closed(byServer: Bool) {
        if self.prompt != nil { Output.standardOutput.write("\r\u{1b}[K") }
        if byServer { Output.standardOutput.line("Connection closed by the server") }
    }
}
