/// One NATS server to connect to, parsed from a URL such as `nats://user:secret@host:4222`.
///
/// Accepted forms: `nats://`, `tls://` (TLS required) or no scheme; `user:password@` or `token@`
/// before the host; an IPv6 host in brackets; the port defaults to 4222.
public struct NATSServerAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Whether the connection must be upgraded to TLS (`tls://`), whatever the server offers.
    public var requiresTLS: Bool
    public var user: String?
    public var password: String?
    public var token: String?

    public init(
        host: String,
        port: Int = 4222,
        requiresTLS: Bool = false,
        user: String? = nil,
        password: String? = nil,
        token: String? = nil
    ) {
        self.host = host
        self.port = port
        self.requiresTLS = requiresTLS
        self.user = user
        self.password = password
        self.token = token
    }

    /// Parses one server URL.
    public init(parsing text: String) throws(NATSClientError) {
        var rest = Substring(text.trimmingCharacters(in: " \t"))
        var requiresTLS = false
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            let scheme = rest[..<colon].lowercased()
            switch scheme {
            case "nats": break
            case "tls": requiresTLS = true
            default:
                throw NATSClientError.invalidAddress(
                    text,
                    reason: "the scheme must be nats:// or tls://, not \(scheme)://"
                )
            }
            rest = rest[rest.index(colon, offsetBy: 3)...]
        }
        while rest.last == "/" { rest.removeLast() }
        var user: String?
        var password: String?
        var token: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = Self.percentDecoded(credentials[..<colon])
                password = Self.percentDecoded(credentials[credentials.index(after: colon)...])
            } else {
                token = Self.percentDecoded(credentials)
            }
        }
        var host: Substring
        var portText: Substring?
        if rest.first == "[" {
            guard let close = rest.firstIndex(of: "]") else {
                throw NATSClientError.invalidAddress(text, reason: "an IPv6 host has no closing ]")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else {
                    throw NATSClientError.invalidAddress(text, reason: "unexpected text after the host")
                }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw NATSClientError.invalidAddress(text, reason: "there is no host") }
        var port = 4222
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw NATSClientError.invalidAddress(text, reason: "the port must be a number from 1 to 65535")
            }
            port = value
        }
        self.init(
            host: String(host),
            port: port,
            requiresTLS: requiresTLS,
            user: user,
            password: password,
            token: token
        )
    }

    /// Parses a comma-separated list of server URLs.
    public static func list(_ text: String) throws(NATSClientError) -> [NATSServerAddress] {
        var addresses: [NATSServerAddress] = []
        for part in text.split(separator: ",") where !part.allSatisfy({ $0 == " " }) {
            addresses.append(try NATSServerAddress(parsing: String(part)))
        }
        guard !addresses.isEmpty else { throw NATSClientError.invalidAddress(text, reason: "no server URL is given") }
        return addresses
    }

    /// `host:port`, with brackets around an IPv6 host; credentials are never shown.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(self.requiresTLS ? "tls" : "nats")://\(host):\(self.port)"
    }

    /// Whether both name the same server, whatever the credentials.
    func isSameServer(as other: NATSServerAddress) -> Bool {
        self.host == other.host && self.port == other.port
    }

    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        String(self.drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
