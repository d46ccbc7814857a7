import Foundation
public import NIOCore

/// What a server says of itself in `INFO`: the fields a client acts on.
public struct NATSServerInfo: Sendable, Hashable, Decodable {
    public var serverID: String
    public var serverName: String?
    public var version: String?
    /// The largest message (headers and payload) the server accepts.
    public var maximumPayload: Int
    public var supportsHeaders: Bool
    public var requiresAuthentication: Bool
    public var requiresTLS: Bool
    /// Other servers of the cluster a client may reconnect to (`host:port`).
    public var connectURLs: [String]
    /// The server is in lame-duck mode: it is about to shut down.
    public var isLameDuck: Bool

    enum CodingKeys: String, CodingKey {
        case serverID = "server_id"
        case serverName = "server_name"
        case version
        case maximumPayload = "max_payload"
        case supportsHeaders = "headers"
        case requiresAuthentication = "auth_required"
        case requiresTLS = "tls_required"
        case connectURLs = "connect_urls"
        case isLameDuck = "ldm"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.serverID = try container.decodeIfPresent(String.self, forKey: .serverID) ?? ""
        self.serverName = try container.decodeIfPresent(String.self, forKey: .serverName)
        self.version = try container.decodeIfPresent(String.self, forKey: .version)
        self.maximumPayload = try container.decodeIfPresent(Int.self, forKey: .maximumPayload) ?? 1024 * 1024
        self.supportsHeaders = try container.decodeIfPresent(Bool.self, forKey: .supportsHeaders) ?? false
        self.requiresAuthentication = try container.decodeIfPresent(Bool.self, forKey: .requiresAuthentication) ?? false
        self.requiresTLS = try container.decodeIfPresent(Bool.self, forKey: .requiresTLS) ?? false
        self.connectURLs = try container.decodeIfPresent([String].self, forKey: .connectURLs) ?? []
        self.isLameDuck = try container.decodeIfPresent(Bool.self, forKey: .isLameDuck) ?? false
    }

    /// Parses the JSON of an `INFO` line.
    public init(json: ByteBuffer) throws(NATSProtocolError) {
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(json.readableBytesView))
        } catch {
            throw NATSProtocolError.malformedArguments(
                operation: "INFO",
                line: String(String(buffer: json).prefix(200))
            )
        }
    }
}

/// The client's `CONNECT` options.
struct NATSConnectOptions: Encodable {
    var verbose = false
    var pedantic = false
    var tlsRequired: Bool
    var name: String?
    var lang = "swift"
    var version = "1.0.0"
    var `protocol` = 1
    var headers = true
    /// A request to a subject nobody listens on is answered at once with a `503` status (only
    /// with headers, which carry it).
    var noResponders: Bool
    var echo: Bool
    var user: String?
    var pass: String?
    var authToken: String?

    enum CodingKeys: String, CodingKey {
        case verbose, pedantic, name, lang, version, `protocol`, headers, echo, user, pass
        case tlsRequired = "tls_required"
        case authToken = "auth_token"
        case noResponders = "no_responders"
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else {
            // Encoding strings and booleans cannot fail; an empty object is still valid CONNECT.
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
