import Synchronization
import WireChat

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The terminal side of `wire chat`: incoming records above a prompt and the line being typed,
/// which stay where they are when a record arrives.
final class ChatScreen: Sendable {
    let prompt: String?
    let timestamps: Bool
    let colors: Bool
    let json: Bool
    private let typed = Mutex("")

    init(prompt: String?, timestamps: Bool, colors: Bool, json: Bool) {
        self.prompt = prompt
        self.timestamps = timestamps
        self.colors = colors
        self.json = json
    }

    func showPrompt() {
        if let prompt { Output.standardOutput.write(prompt) }
    }

    /// The line being typed changed: redraw it after the prompt.
    func edit(_ line: String) {
        guard let prompt = self.prompt else { return }
        self.typed.withLock { typed in
            typed = line
            Output.standardOutput.write("\r\u{1b}[K" + prompt + escapedLine(line))
        }
    }

    /// Enter: the line stays on screen as sent, and a new prompt starts below it.
    func submitted(_ line: String) {
        guard let prompt = self.prompt else { return }
        self.typed.withLock { typed in
            typed = ""
            Output.standardOutput.write("\r\u{1b}[K" + prompt + escapedLine(line) + "\n" + prompt)
        }
    }

    func show(_ record: ChatRecord) {
        self.print(self.format(record))
    }

    /// A line from `wire chat` itself, not from the room.
    func notice(_ text: String) {
        self.print(self.json ? jsonLine(["notice": text]) : "* " + text)
    }

    private func print(_ line: String) {
        guard let prompt = self.prompt else {
            Output.standardOutput.line(line)
            return
        }
        // Clear the prompt line, print the record, then the prompt and the half-typed line below it.
        self.typed.withLock { typed in
            Output.standardOutput.write("\r\u{1b}[K" + line + "\n" + prompt + escapedLine(typed))
        }
    }

    private func format(_ record: ChatRecord) -> String {
        if self.json {
            return jsonLine(["user": record.username, "text": record.text])
        }
        var name = escapedLine(record.username)
        if self.colors {
            name = Self.colored(name, server: record.username == ChatRoom.serverName)
        }
        var line = "\(name) > \(escapedLine(record.text))"
        if self.timestamps {
            let now = time(nil)
            var parts = tm()
            localtime_r([now], &parts)
            func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
            line = "[\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))] " + line
        }
        return line
    }

    /// A name in one of six colours, always the same for the same name; the server's in grey.
    static func colored(_ name: String, server: Bool) -> String {
        let code: Int
        if server {
            code = 90
        } else {
            var hash: UInt32 = 2_166_136_261
            for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
            code = 31 + Int(hash % 6)
        }
        return "\u{1b}[\(code)m\(name)\u{1b}[0m"
    }

    func closed() {
        if self.prompt != nil { Output.standardOutput.write("\r\u{1b}[K") }
    }
}
