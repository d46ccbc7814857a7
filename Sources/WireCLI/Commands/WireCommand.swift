import ArgumentParser
import Wire
import WireChat
import WireFraming
import WirePickle

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

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
        version: WireCommand.version,
        subcommands: [
            ServeCommand.self, ConnectCommand.self, ChatServerCommand.self, ChatCommand.self, BenchCommand.self,
        ]
    )
}

extension WireCommand {
    static let version = "0.2.0"
}

/// The exit statuses of every command, as `--help` and the README document them.
enum ExitStatus: Int32 {
    /// The work is done, or the peer closed normally.
    case success = 0
    /// Something went wrong at run time; one sentence on standard error says what.
    case failure = 1
    /// The command line is wrong; one sentence on standard error says what.
    case usage = 2
    /// The server refused this client: authentication failed, or a chat username was refused.
    case refused = 3
}

/// An error the server gave as its reason for refusing this client.
struct RefusedByServer: Error, CustomStringConvertible {
    let reason: String
    var description: String { self.reason }
}

@main
enum WireMain {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        // -V and --version on every command, as socat and nc have it.
        if let end = arguments.firstIndex(of: "--") ?? Optional(arguments.endIndex),
            arguments[..<end].contains(where: { $0 == "-V" || $0 == "--version" })
        {
            print("wire \(WireCommand.version)")
            exit(ExitStatus.success.rawValue)
        }
        do {
            var command = try WireCommand.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(Self.report(error))
        }
        exit(ExitStatus.success.rawValue)
    }

    /// Prints what went wrong as one line (usage errors with a hint) and returns the exit status.
    static func report(_ error: any Error) -> Int32 {
        let status: ExitStatus
        switch error {
        case let error as RefusedByServer:
            status = .refused
            printError("Error: refused by the server: \(error)")
        case let error as ConnectionError where error.isAuthenticationFailure:
            status = .refused
            printError("Error: \(error)")
        case is ConnectionError, is FramingError, is ChatError, is InputTooLarge, is ChatClosed, is BenchError,
            is PickleError, is PythonLiteralError:
            status = .failure
            printError("Error: \(error)")
        default:
            let code = WireCommand.exitCode(for: error)
            if code == .success {
                // --help and the like: what they print is the point.
                print(WireCommand.fullMessage(for: error))
                return ExitStatus.success.rawValue
            }
            printError(WireCommand.fullMessage(for: error))
            status = code == .validationFailure ? .usage : .failure
        }
        return status.rawValue
    }

    static func printError(_ text: String) {
        Output.standardError.line(text)
    }
}
