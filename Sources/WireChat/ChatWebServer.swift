#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
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
struct ChatWebServer: Sendable {
    enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case http(NIOAsyncChannel<HTTPServerRequestPart, HTTPPart<HTTPResponseHead, ByteBuffer>>)
    }

    let host: String
    let port: Int
    let room: ChatRoom
    let configuration: ChatServerConfiguration
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let onListening: @Sendable (SocketAddress) async -> Void
    let onEvent: @Sendable (ChatEvent) -> Void

    func run() async throws {
        let maximumFrameSize = min(self.configuration.server.maximumMessageSize, Int(UInt32.max))
        let tls = self.configuration.server.tls
        let channel: NIOAsyncChannel<EventLoopFuture<Upgrade>, Never>
        do {
            channel = try await ServerBootstrap(group: self.eventLoopGroup)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: self.host, port: self.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        // With the server's certificate, the page and the WebSocket go over TLS
                        // too (https:// and wss://).
                        if let tls {
                            try channel.pipeline.syncOperations.addHandlers(try tls.makeHandlers(host: nil))
                        }
                        let upgrader = NIOTypedWebSocketServerUpgrader<Upgrade>(
                            maxFrameSize: maximumFrameSize,
                            shouldUpgrade: { channel, head in
                                // Only /chat is a WebSocket endpoint; anything else stays HTTP.
                                channel.eventLoop.makeSucceededFuture(Self.path(of: head) == "/chat" ? HTTPHeaders() : nil)
                            },
                            upgradePipelineHandler: { channel, _ in
                                channel.eventLoop.makeCompletedFuture {
                                    .websocket(try NIOAsyncChannel(wrappingChannelSynchronously: channel))
                                }
                            }
                        )
                        let upgrade = NIOTypedHTTPServerUpgradeConfiguration<Upgrade>(
                            upgraders: [upgrader],
                            notUpgradingCompletionHandler: { channel in
                                channel.eventLoop.makeCompletedFuture {
                                    try channel.pipeline.syncOperations.addHandler(HTTPByteBufferResponsePartHandler())
                                    return .http(try NIOAsyncChannel(wrappingChannelSynchronously: channel))
                                }
                            }
                        )
                        return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                            configuration: .init(upgradeConfiguration: upgrade)
                        )
                    }
                }
        } catch {
            throw ConnectionError.bindFailed(host: self.host, port: self.port, reason: "\(error)")
        }
        if let address = channel.channel.localAddress {
            await self.onListening(address)
        }
        try await withThrowingDiscardingTaskGroup { group in
            try await channel.executeThenClose { inbound in
                for try await upgrade in inbound {
                    group.addTask {
                        do {
                            switch try await upgrade.get() {
                            case .websocket(let member):
                                await self.serve(member)
                            case .http(let http):
                                try await self.answer(http)
                            }
                        } catch {
                            self.logger.debug("web connection failed", metadata: ["error": "\(error)"])
                        }
                    }
                }
            }
        }
    }

    static func path(of head: HTTPRequestHead) -> String {
        String(head.uri.prefix { $0 != "?" })
    }

    // MARK: HTTP

    private func answer(_ http: NIOAsyncChannel<HTTPServerRequestPart, HTTPPart<HTTPResponseHead, ByteBuffer>>) async throws {
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
                    let (status, type, body) = Self.response(to: head)
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: type)
                    headers.add(name: "Content-Length", value: String(body.readableBytes))
                    headers.add(name: "Cache-Control", value: "no-store")
                    try await outbound.write(.head(HTTPResponseHead(version: head.version, status: status, headers: headers)))
                    if head.method != .HEAD {
                        try await outbound.write(.body(body))
                    }
                    try await outbound.write(.end(nil))
                    request = nil
                }
            }
        }
    }

    static func response(to head: HTTPRequestHead) -> (HTTPResponseStatus, String, ByteBuffer) {
        guard head.method == .GET || head.method == .HEAD else {
            return (.methodNotAllowed, "text/plain; charset=utf-8", ByteBuffer(string: "Only GET is served here.\n"))
        }
        switch Self.path(of: head) {
        case "/", "/index.html":
            return (.ok, "text/html; charset=utf-8", ByteBuffer(string: ChatWebPage.html))
        case "/chat":
            return (.badRequest, "text/plain; charset=utf-8", ByteBuffer(string: "/chat is a WebSocket endpoint: connect with a WebSocket client.\n"))
        default:
            return (.notFound, "text/plain; charset=utf-8", ByteBuffer(string: "Not found: the chat page is at /.\n"))
        }
    }

    // MARK: WebSocket members

    private func serve(_ member: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) async {
        let channel = member.channel
        let peer = channel.remoteAddress?.endpointDescription ?? "unknown peer"
        let sink = WebSocketMember(channel: channel, framing: self.configuration.server.framing)
        do {
            try await member.executeThenClose { inbound, outbound in
                var frames = inbound.makeAsyncIterator()
                var joined: (id: ChatRoom.MemberID, name: String, nameFrame: ByteBuffer)?
                defer {
                    if let joined {
                        self.room.leave(joined.id)
                        self.onEvent(.closed(username: joined.name))
                    }
                }
                while let frame = try await frames.next() {
                    switch frame.opcode {
                    case .text:
                        var data = frame.unmaskedData
                        if !frame.fin {
                            // Fragmented text: gather the continuation frames.
                            while let next = try await frames.next(), next.opcode == .continuation {
                                var more = next.unmaskedData
                                data.writeBuffer(&more)
                                if data.readableBytes > self.configuration.server.maximumMessageSize {
                                    try await Self.close(outbound, .messageTooLarge)
                                    return
                                }
                                if next.fin { break }
                            }
                        }
                        if let current = joined {
                            switch ChatServer.command(in: data) {
                            case .quit:
                                try await Self.close(outbound, .normalClosure)
                                return
                            case .who:
                                self.room.answerWho(current.id)
                            case nil:
                                if self.configuration.reportsTexts {
                                    self.onEvent(.received(username: current.name, text: String(decoding: data.readableBytesView, as: UTF8.self)))
                                }
                                await self.room.publish([data], from: current.id, nameFrame: current.nameFrame)
                            }
                        } else {
                            do {
                                let name = try ChatServer.validatedUsername(data, limit: self.configuration.maximumUsernameBytes)
                                let id = try self.room.join(name: name, connection: sink) { reason in
                                    self.onEvent(.dropped(username: name, reason: reason))
                                }
                                joined = (id, name, self.room.nameFrame(name))
                                self.onEvent(.accepted(peer: peer, username: name))
                            } catch let error as ChatError {
                                self.onEvent(.refused(peer: peer, reason: error))
                                let notice = WebSocketMember.textFrame(
                                    user: ByteBuffer(string: ChatRoom.serverName),
                                    text: ByteBuffer(string: "refused: \(error)"),
                                    allocator: channel.allocator
                                )
                                try await outbound.write(notice)
                                try await Self.close(outbound, .policyViolation)
                                return
                            }
                        }
                    case .ping:
                        try await outbound.write(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
                    case .connectionClose:
                        try await Self.close(outbound, .normalClosure)
                        return
                    case .binary:
                        try await Self.close(outbound, .unacceptableData)
                        return
                    default:
                        break
                    }
                }
            }
        } catch let error as IOError where error.errnoCode == ECONNRESET || error.errnoCode == EPIPE {
            // The browser went away without a close frame (a closed tab): an ordinary leave.
        } catch ChannelError.ioOnClosedChannel {
            // Likewise, noticed while answering it.
        } catch {
            self.onEvent(.failed(peer: peer, username: nil, error: error))
        }
    }

    private static func close(_ outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>, _ code: WebSocketErrorCode) async throws {
        var data = ByteBuffer()
        data.write(webSocketErrorCode: code)
        try await outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
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
