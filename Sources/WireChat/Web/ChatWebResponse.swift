/// A page the web port serves besides the chat (``ChatServerConfiguration/webPages``).
public struct ChatWebResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    public var contentType: String
    public var body: String

    public init(status: Int, contentType: String, body: String) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}
