public import NIOCore
public import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A TCP proxy a test controls, between a client and a server on loopback: it forwards bytes both
/// ways until told to fail in one of the ways networks fail.
///
/// - ``silence()``: nothing passes either way, without a word (no FIN, no RST), as when a cable is
///   pulled or a NAT drops the path; ``resume()`` lets what waits go on, as TCP does when the link
///   comes back, unless an end has given up meanwhile.
/// - ``reset()``: every open connection is reset (RST), as a crashed middlebox does.
/// - ``refuse(_:)``: new connections are closed as soon as they arrive.
public final class TCPProxy: Sendable {
    final class Shared: Sendable {
        struct State {
            var isSilent = false
            var refuses = false
            var pairs: [ObjectIdentifier: (inbound: any Channel, outbound: any Channel)] = [:]
            /// Ends that closed while the proxy was silent: their peers hear of it only when it
            /// resumes, as over a link that is down.
            var closedWhileSilent: [any Channel] = []
        }

        let state = Mutex(State())
    }

    private let listener: any Channel
    private let shared: Shared
    /// The proxy's own port: point the client here.
    public let port: Int

    private init(listener: any Channel, shared: Shared) {
        self.listener = listener
        self.shared = shared
        self.port = listener.localAddress?.port ?? 0
    }

    /// Listens on 127.0.0.1, on a free port, and forwards each connection to `host`:`port`.
    public static func start(
        to host: String,
        port: Int,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> TCPProxy {
        let shared = Shared()
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                guard !shared.state.withLock({ $0.refuses }) else {
                    return inbound.close()
                }
                return ClientBootstrap(group: inbound.eventLoop)
                    .channelOption(.autoRead, value: false)
                    .connect(host: host, port: port)
                    .flatMap { outbound in
                        let key = ObjectIdentifier(inbound)
                        shared.state.withLock { $0.pairs[key] = (inbound, outbound) }
                        inbound.closeFuture.whenComplete { _ in
                            shared.state.withLock { _ = $0.pairs.removeValue(forKey: key) }
                        }
                        do {
                            try inbound.pipeline.syncOperations.addHandler(Forwarder(peer: outbound, shared: shared))
                            try outbound.pipeline.syncOperations.addHandler(Forwarder(peer: inbound, shared: shared))
                        } catch {
                            return inbound.eventLoop.makeFailedFuture(error)
                        }
                        return inbound.eventLoop.makeSucceededVoidFuture()
                    }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TCPProxy(listener: listener, shared: shared)
    }

    /// Nothing passes any more, either way, and nobody is told.
    public func silence() {
        self.shared.state.withLock { $0.isSilent = true }
    }

    /// Bytes flow again on the connections still open.
    public func resume() {
        let (pairs, closed) = self.shared.state.withLock { state in
            state.isSilent = false
            defer { state.closedWhileSilent.removeAll() }
            return (Array(state.pairs.values), state.closedWhileSilent)
        }
        for peer in closed {
            peer.close(promise: nil)
        }
        for (inbound, outbound) in pairs {
            inbound.read()
            outbound.read()
        }
    }

    /// Resets every open connection, both ends.
    public func reset() {
        let pairs = self.shared.state.withLock { Array($0.pairs.values) }
        for (inbound, outbound) in pairs {
            for channel in [inbound, outbound] {
                // SO_LINGER 0: the close sends RST, not FIN.
                guard let socket = channel as? any SocketOptionProvider else {
                    channel.close(promise: nil)
                    continue
                }
                socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in
                    channel.close(promise: nil)
                }
            }
        }
    }

    /// Closes new connections at once (`true`), or takes them again.
    public func refuse(_ refuses: Bool) {
        self.shared.state.withLock { $0.refuses = refuses }
    }

    /// Connections open through the proxy now.
    public var openConnections: Int {
        self.shared.state.withLock { $0.pairs.count }
    }

    /// Stops listening and closes every connection.
    public func close() {
        self.listener.close(promise: nil)
        let pairs = self.shared.state.withLock { Array($0.pairs.values) }
        for (inbound, outbound) in pairs {
            inbound.close(promise: nil)
            outbound.close(promise: nil)
        }
    }

    deinit {
        self.close()
    }

    /// Writes what one side reads to the other, and asks for more only while the proxy is not
    /// silent (so a silent proxy stops reading, and TCP's windows fill on both sides).
    final class Forwarder: ChannelDuplexHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundIn = ByteBuffer

        let peer: any Channel
        let shared: Shared

        init(peer: any Channel, shared: Shared) {
            self.peer = peer
            self.shared = shared
        }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { self.readUnlessSilent(context) }
        }

        func channelActive(context: ChannelHandlerContext) {
            self.readUnlessSilent(context)
            context.fireChannelActive()
        }

        func readUnlessSilent(_ context: ChannelHandlerContext) {
            if !self.shared.state.withLock({ $0.isSilent }) {
                context.read()
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.peer.writeAndFlush(Self.unwrapInboundIn(data), promise: nil)
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            self.readUnlessSilent(context)
        }

        func channelInactive(context: ChannelHandlerContext) {
            let isSilent = self.shared.state.withLock { state -> Bool in
                if state.isSilent { state.closedWhileSilent.append(self.peer) }
                return state.isSilent
            }
            if !isSilent { self.peer.close(promise: nil) }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
