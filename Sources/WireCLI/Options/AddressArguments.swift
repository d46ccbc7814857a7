import ArgumentParser

/// Where to connect or listen, as people type it: `HOST PORT`, `HOST:PORT`, `[IPv6]:PORT`, a bare
/// `PORT`, or `--host`/`--port` (`-p`). A netcat habit, `-l`, is accepted by `serve` and ignored.
struct AddressArguments: ParsableArguments {
    @Argument(help: ArgumentHelp("HOST PORT, HOST:PORT, [IPv6]:PORT or just PORT.", valueName: "address"))
    var address: [String] = []

    @Option(help: "Host name or IP address (also [IPv6]).")
    var host: String?

    // Unconditional, so that `--port -1` is read as a value and refused with the range, not
    // mistaken for a flag.
    @Option(name: [.short, .long], parsing: .unconditional, help: "Port.")
    var port: String?

    /// The host and port these arguments name, with defaults for what they leave out.
    func endpoint(defaultHost: String, defaultPort: Int, listening: Bool) throws -> (host: String, port: Int) {
        var host: String?
        var port: String?
        switch self.address.count {
        case 0:
            break
        case 1:
            (host, port) = Self.split(self.address[0])
        case 2:
            host = Self.unbracketed(self.address[0])
            port = self.address[1]
        default:
            throw ValidationError(
                "Give the address as HOST PORT or HOST:PORT; got \(self.address.count) words: \(self.address.joined(separator: " "))."
            )
        }
        if let given = self.host {
            guard host == nil || host == Self.unbracketed(given) else {
                throw ValidationError("The host is given twice: \(host ?? "") and --host \(given).")
            }
            host = Self.unbracketed(given)
        }
        if let given = self.port {
            guard port == nil || port == given else {
                throw ValidationError("The port is given twice: \(port ?? "") and --port \(given).")
            }
            port = given
        }
        let number = try port.map { try Self.portNumber($0, listening: listening) } ?? defaultPort
        let name = host ?? defaultHost
        guard !name.isEmpty else { throw ValidationError("The host is empty.") }
        return (name, number)
    }

    /// `HOST:PORT`, `[V6]:PORT`, `[V6]`, a bare IPv6 address, `HOST` or `PORT`.
    static func split(_ word: String) -> (host: String?, port: String?) {
        if word.hasPrefix("["), let close = word.firstIndex(of: "]") {
            let host = String(word[word.index(after: word.startIndex)..<close])
            let rest = word[word.index(after: close)...]
            return (host, rest.hasPrefix(":") ? String(rest.dropFirst()) : nil)
        }
        if !word.isEmpty, word.allSatisfy(\.isASCIIDigit) {
            return (nil, word)
        }
        let colons = word.filter { $0 == ":" }.count
        if colons == 1, let colon = word.firstIndex(of: ":") {
            return (String(word[..<colon]), String(word[word.index(after: colon)...]))
        }
        return (word, nil)
    }

    static func unbracketed(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    static func portNumber(_ text: String, listening: Bool) throws -> Int {
        let lowest = listening ? 0 : 1
        guard let port = Int(text), (lowest...65535).contains(port) else {
            throw ValidationError("The port must be a number from \(lowest) to 65535; got \"\(text)\".")
        }
        return port
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool {
        ("0"..."9").contains(self)
    }
}
