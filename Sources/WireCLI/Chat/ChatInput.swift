import NIOCore
import Synchronization

/// The lines `wire chat` sends, and what it does with each.
enum ChatInput {
    enum Action: Equatable {
        case ignore
        case local(String)
        case send(String)
    }

    static let help =
        "/who lists who is online, /quit leaves, /help shows this; start a line with // to send one that starts with /"

    /// Set when the user pressed Ctrl-C at the prompt.
    static let interrupted = Atomic<Bool>(false)

    /// What to do with a line the user entered.
    static func interpret(_ line: String) -> Action {
        if line.isEmpty { return .ignore }
        if line.hasPrefix("//") { return .send(String(line.dropFirst())) }
        guard line.hasPrefix("/") else { return .send(line) }
        switch line {
        case "/who", "/quit": return .send(line)
        case "/help": return .local(Self.help)
        default:
            let command = line.prefix { $0 != " " }
            return .local("unknown command \(command): not sent; /help lists the commands")
        }
    }

    /// Lines from a pipe or a file.
    static func piped(maximumMessageSize: Int) -> AsyncThrowingStream<String, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await line in StandardInputMessages(.lines, maximumMessageSize: maximumMessageSize) {
                        continuation.yield(String(decoding: line.readableBytesView, as: UTF8.self))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Lines typed at the prompt, edited on `screen`.
    static func typed(into screen: ChatScreen) -> AsyncThrowingStream<String, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var editor = LineEditor()
                reading: for await chunk in StandardInputChunks() {
                    for byte in chunk.readableBytesView {
                        switch editor.feed(byte) {
                        case .none:
                            break
                        case .redraw:
                            screen.edit(editor.line)
                        case .submit(let line):
                            screen.submitted(line)
                            continuation.yield(line)
                        case .endOfInput:
                            break reading
                        case .interrupt:
                            Self.interrupted.store(true, ordering: .relaxed)
                            break reading
                        }
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
