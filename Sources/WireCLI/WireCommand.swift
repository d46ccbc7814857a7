import ArgumentParser

@main
struct WireCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wire",
        abstract: "Send and receive whole messages over TCP.",
        discussion: """
            Wire frames messages on a TCP stream so that they are never split or merged: the sockets
            tutorial's 10-byte ASCII header, binary length prefixes, lines, or raw bytes.

            Example, the tutorial's session in two terminals:
              wire serve --framing raw --greeting "Hey there!!!" --close-after-greeting
              wire connect --framing raw --buffer-size 8 --show-chunks
            """,
        version: "0.1.0",
        subcommands: [ServeCommand.self, ConnectCommand.self, ChatServerCommand.self, ChatCommand.self, BenchCommand.self]
    )
}
