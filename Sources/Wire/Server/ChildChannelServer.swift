import CoreMetrics
package import Logging
package import NIOCore
package import NIOPosix
import ServiceLifecycle

/// What differs between the ports a server listens on: how an accepted channel is set up, how
/// the connection is served, and how one over the limit is told so. Everything else (binding,
/// the connection limit, the registry of open connections, their metrics and the graceful
/// shutdown) is ``ChildChannelServer``'s, written once for every port (Wire's TCP port and the
/// chat room's web port).
package protocol ServerChildChannel: Sendable {
    /// What the set-up pipeline hands to the connection's task.
    associatedtype Value: Sendable

    /// Options for accepted channels (socket options, the receive allocator); none by default.
    func childChannelOptions(_ bootstrap: ServerBootstrap) -> ServerBootstrap

    /// Sets up an accepted channel's pipeline, on its event loop.
    func setup(channel: any Channel) throws -> EventLoopFuture<Value>

    /// Sets up the pipeline of a channel over the limit, on its event loop, before it is read:
    /// ``refuse(_:because:)`` gets the value. By default the same as an accepted one's.
    func setup(refusing channel: any Channel, because error: ConnectionError) throws -> EventLoopFuture<Value>

    /// The channel `value` was set up on.
    func channel(of value: Value) -> any Channel

    /// Serves one connection to its end; never throws, so one connection's failure stays its own.
    func handle(_ value: Value) async

    /// Closes a connection over the limit, telling it `error` first if its protocol has a way.
    func refuse(_ value: Value, because error: ConnectionError) async
}

extension ServerChildChannel {
    package func childChannelOptions(_ bootstrap: ServerBootstrap) -> ServerBootstrap {
        bootstrap
    }

    package func setup(refusing channel: any Channel, because error: ConnectionError) throws -> EventLoopFuture<Value> {
        try self.setup(channel: channel)
    }
}

/// A listening port that serves every accepted connection in a task of its own: at most
/// ``ServerConfiguration/maximumConnections`` at once (the next are refused as `Child` says),
/// counted in its ``ServerMetrics``, and, as a swift-service-lifecycle graceful
/// shutdown begins, the listener closed at once and the open connections given
/// ``ServerConfiguration/shutdownGracePeriod`` before they are closed.
///
/// The shape is hummingbird's `Server` over a `ServerChildChannel`.
package struct ChildChannelServer<Child: ServerChildChannel>: Sendable {
    let host: String
    let port: Int
    let configuration: ServerConfiguration
    let child: Child
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let metrics: ServerMetrics
    private let connections = ConnectionRegistry()

    /// A server of `child` on `host`:`port`, with `configuration`'s limits and backlog (its own
    /// host and port are not used: a program may listen on more than one).
    package init(
        host: String,
        port: Int,
        configuration: ServerConfiguration,
        metrics: ServerMetrics,
        child: Child,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger
    ) {
        self.host = host
        self.port = port
        self.configuration = configuration
        self.child = child
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.metrics = metrics
    }

    /// How many connections are being served now.
    package var openConnections: Int {
        self.connections.count
    }

    /// Binds, then serves connections until cancelled or gracefully shut down.
    ///
    /// Throws ``ConnectionError/bindFailed(host:port:reason:)`` if the address cannot be bound.
    package func run(onListening: @Sendable (SocketAddress) async -> Void) async throws {
        let serverChannel = try await self.bind()
        if let address = serverChannel.channel.localAddress {
            self.logger.debug("listening", metadata: ["local.address": "\(address.endpointDescription)"])
            await onListening(address)
        }
        var failure: (any Error)?
        do {
            try await self.accept(on: serverChannel)
        } catch {
            failure = error
        }
        // A connection handed on to its pipeline outlives its task: the server is done when every
        // connection is closed (at once when cancelled; after the grace period at the latest).
        self.connections.closeAll(after: Task.isCancelled ? .zero : self.configuration.shutdownGracePeriod)
        await self.connections.waitUntilEmpty()
        self.logger.debug("stopped listening")
        if let failure { throw failure }
    }

    private func accept(on serverChannel: NIOAsyncChannel<Accepted, Never>) async throws {
        let (connections, metrics, child) = (self.connections, self.metrics, self.child)
        let gracePeriod = self.configuration.shutdownGracePeriod
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await serverChannel.executeThenClose { inbound in
                    for try await accepted in inbound {
                        if let refusal = accepted.refusal {
                            metrics.refusedFull.increment()
                            self.logRefusal(child.channel(of: accepted.value), refusal)
                            group.addTask { await child.refuse(accepted.value, because: refusal) }
                            continue
                        }
                        metrics.accepted.increment()
                        // The task captures what serving needs, not the whole server: its context
                        // lives as long as the connection.
                        let value = accepted.value
                        group.addTask { await child.handle(value) }
                    }
                }
            }
        } onGracefulShutdown: {
            // Stop accepting at once; let open connections finish what is in flight, but not forever.
            serverChannel.channel.close(promise: nil)
            connections.closeAll(after: gracePeriod)
        }
    }

    /// An accepted connection, set up; with a refusal when it came over the limit.
    struct Accepted: Sendable {
        let value: Child.Value
        let refusal: ConnectionError?
    }

    private func bind() async throws -> NIOAsyncChannel<Accepted, Never> {
        let bootstrap = ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(.backlog, value: Int32(clamping: self.configuration.backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: self.configuration.reuseAddress ? 1 : 0)
        let (child, connections, limit) = (self.child, self.connections, self.configuration.maximumConnections)
        let open = self.metrics.open
        do {
            return try await child.childChannelOptions(bootstrap).bind(host: self.host, port: self.port) { channel in
                // Counted here, on the connection's event loop before its first read, so that one
                // over the limit is refused before it is heard.
                let refusal = connections.insert(channel, limit: limit) ? nil : ConnectionError.serverFull(limit: limit)
                if refusal == nil {
                    // Its place is given back when it closes, exactly once, whatever becomes of it
                    // (served, handed on, failed to set up, or dropped by a listener shutting down
                    // meanwhile).
                    open.increment()
                    channel.closeFuture.whenComplete { _ in
                        open.decrement()
                        connections.remove(channel)
                    }
                }
                do {
                    let value =
                        try refusal.map { try child.setup(refusing: channel, because: $0) }
                        ?? child.setup(channel: channel)
                    return value.map { Accepted(value: $0, refusal: refusal) }.flatMapErrorThrowing { error in
                        channel.close(promise: nil)
                        throw error
                    }
                } catch {
                    channel.close(promise: nil)
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        } catch {
            throw ConnectionError.bindFailed(host: self.host, port: self.port, reason: SystemError.phrase(error))
        }
    }

    private func logRefusal(_ channel: any Channel, _ reason: ConnectionError) {
        self.logger.warning(
            "refused a connection",
            metadata: [
                "peer.address": "\(channel.remoteAddress?.endpointDescription ?? "unknown")",
                "reason": "\(reason)",
            ]
        )
    }
}
