import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
@_spi(Broadcast) import Wire
import WireFraming

/// The room's door for browsers: one HTTP port that serves the chat page at `/` and takes
/// WebSocket members at `/chat`.
///
/// A browser member is an ordinary member: its first text message is its username (the same
/// rules and refusals), later ones are texts, and it receives every record as a JSON text frame
/// `{"user": "...", "text": "..."}` in the room's one order, under the same flow control and stall
/// eviction. A binary frame closes it with 1003, a frame over the message limit with 1009.
///
/// A class, shared by every web connection: each connection's task and its frames hold a
/// reference, not a copy of the room's configuration.
final class ChatWebServer: Sendable {
    enum Upgrade: Sendable {
        case websocket(BrowserChannel)
        case http(NIOAsyncChannel<HTTPServerRequestPart, HTTPPart<HTTPResponseHead, ByteBuffer>>)
    }

    /// An accepted web connection: its channel, and what its first request makes of it.
    struct Connection: Sendable {
        let channel: any Channel
        let upgrade: EventLoopFuture<Upgrade>
    }

    let host: String
    let port: Int
    let room: ChatRoom
    let configuration: ChatServerConfiguration
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let onListening: @Sendable (SocketAddress) async -> Void
    let onEvent: @Sendable (ChatEvent) -> Void

    init(
        host: String,
        port: Int,
        room: ChatRoom,
        configuration: ChatServerConfiguration,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        onListening: @escaping @Sendable (SocketAddress) async -> Void,
        onEvent: @escaping @Sendable (ChatEvent) -> Void
    ) {
        self.host = host
        self.port = port
        self.room = room
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onListening = onListening
        self.onEvent = onEvent
    }

    func run() async throws {
        let server = ChildChannelServer(
            host: self.host,
            port: self.port,
            configuration: self.configuration.server,
            metrics: self.configuration.server.metrics(listener: "web"),
            child: self,
            eventLoopGroup: self.eventLoopGroup,
            logger: self.logger
        )
        try await server.run(onListening: self.onListening)
    }

    static func path(of head: HTTPRequestHead) -> String {
        String(head.uri.prefix { $0 != "?" })
    }

    // MARK: HTTP

    func answer(
        _ http: NIOAsyncChannel<HTTPServerRequestPart, HTTPPart<HTTPResponseHead, ByteBuffer>>
    ) async throws {
        try await http.executeThenClose { inbound, outbound in
            var request: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let head):
                    request = head
                case .body:
                    break
                case .end:
                    // No head: NIO kept it while deciding on an upgrade it then refused, which
                    // happens only for a WebSocket handshake on another path than /chat.
                    let head = request ?? HTTPRequestHead(version: .http1_1, method: .GET, uri: "/websocket-elsewhere")
                    let (status, type, body) = self.response(to: head)
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: type)
                    headers.add(name: "Content-Length", value: String(body.readableBytes))
                    headers.add(name: "Cache-Control", value: "no-store")
                    try await outbound.write(
                        .head(HTTPResponseHead(version: head.version, status: status, headers: headers))
                    )
                    if head.method != .HEAD {
                        try await outbound.write(.body(body))
                    }
                    try await outbound.write(.end(nil))
                    request = nil
                }
            }
        }
    }

    func response(to head: HTTPRequestHead) -> (HTTPResponseStatus, String, ByteBuffer) {
        guard head.method == .GET || head.method == .HEAD else {
            return (.methodNotAllowed, "text/plain; charset=utf-8", ByteBuffer(string: "Only GET is served here.\n"))
        }
        let path = Self.path(of: head)
        if let page = self.configuration.webPages[path] {
            let response = page()
            return (
                HTTPResponseStatus(statusCode: response.status), response.contentType, ByteBuffer(string: response.body)
            )
        }
        switch path {
        case "/", "/index.html":
            return (.ok, "text/html; charset=utf-8", ByteBuffer(string: ChatWebPage.html))
        case "/chat":
            return (
                .badRequest, "text/plain; charset=utf-8",
                ByteBuffer(string: "/chat is a WebSocket endpoint: connect with a WebSocket client.\n")
            )
        default:
            return (.notFound, "text/plain; charset=utf-8", ByteBuffer(string: "Not found: the chat page is at /.\n"))
        }
    }
}

/// Turns responses with `ByteBuffer` bodies into what NIO's HTTP encoder takes.
final class HTTPByteBufferResponsePartHandler: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = HTTPPart<HTTPResponseHead, ByteBuffer>
    typealias OutboundOut = HTTPServerResponsePart

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch Self.unwrapOutboundIn(data) {
        case .head(let head):
            context.write(Self.wrapOutboundOut(.head(head)), promise: promise)
        case .body(let buffer):
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: promise)
        case .end(let trailers):
            context.write(Self.wrapOutboundOut(.end(trailers)), promise: promise)
        }
    }
}
