import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Wire
import WireChat

/// The metrics port: `/metrics` and `/healthz` over plain HTTP/1.1 (``OperatorEndpoints``), one
/// request per connection, as scrapers and health checkers ask.
struct MetricsHTTPServer: Service {
    let host: String
    let port: Int
    let endpoints: OperatorEndpoints
    let onListening: @Sendable (SocketAddress) -> Void

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    func run() async throws {
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: self.host, port: self.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw ConnectionError.bindFailed(host: self.host, port: self.port, reason: SystemError.phrase(error))
        }
        if let address = server.channel.localAddress {
            self.onListening(address)
        }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask {
                            // A scraper that goes away mid-request costs only its own connection.
                            try? await self.answer(connection)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    private func answer(_ connection: Connection) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var request: HTTPRequestHead?
            for try await part in inbound {
                guard case .end = part else {
                    if case .head(let head) = part { request = head }
                    continue
                }
                guard let head = request else { return }
                let response: ChatWebResponse
                if head.method == .GET || head.method == .HEAD {
                    response = self.endpoints.response(for: String(head.uri.prefix { $0 != "?" }))
                } else {
                    response = ChatWebResponse(
                        status: 405,
                        contentType: "text/plain; charset=utf-8",
                        body: "Only GET is served here.\n"
                    )
                }
                let body = ByteBuffer(string: response.body)
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: response.contentType)
                headers.add(name: "Content-Length", value: String(body.readableBytes))
                headers.add(name: "Connection", value: "close")
                try await outbound.write(
                    .head(
                        HTTPResponseHead(
                            version: head.version,
                            status: HTTPResponseStatus(statusCode: response.status),
                            headers: headers
                        )
                    )
                )
                if head.method != .HEAD {
                    try await outbound.write(.body(.byteBuffer(body)))
                }
                try await outbound.write(.end(nil))
                return
            }
        }
    }
}
