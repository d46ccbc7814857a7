public import Logging
public import NIOCore
public import NIOPosix
import WireFraming

/// Connects to a server and hands over a ``WireConnection`` for the length of a closure.
///
/// ```swift
/// try await WireClient.withConnection(host: "127.0.0.1", port: 1234) { connection in
///     try await connection.send("hello")
///     for try await message in connection.messages {
///         print(String(buffer: message))
///     }
/// }
/// ```
public enum WireClient {
    /// Connects to `host:port`, runs `body` with the connection, then closes it once everything
    /// sent has been written.
    ///
    /// Throws a ``ConnectionError`` that says whether the connection was refused, the host unknown or
    /// the attempt timed out.
    public static func withConnection<Result: Sendable>(
        host: String,
        port: Int,
        configuration: ClientConfiguration = ClientConfiguration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "wire.client", factory: { _ in SwiftLogNoOpLogHandler() }),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (WireConnection) async throws -> Result
    ) async throws -> Result {
        let asyncChannel = try await Self.connect(
            host: host,
            port: port,
            configuration: configuration,
            eventLoopGroup: eventLoopGroup
        )
        logger.debug("connected", metadata: ["peer.address": "\(ConnectionError.endpoint(host, port))"])
        return try await WirePipeline.withConnection(
            asyncChannel,
            runsOnEventLoop: configuration.runsOnEventLoop,
            isolation: isolation,
            body
        )
    }

    static func connect(
        host: String,
        port: Int,
        configuration: ClientConfiguration,
        eventLoopGroup: any EventLoopGroup
    ) async throws -> WireChannel {
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.recvAllocator, value: WirePipeline.receiveAllocator(configuration.readBufferSize))
        let settings = configuration.connectionSettings
        do {
            return try await bootstrap.connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try WirePipeline.wrap(
                        channel,
                        settings: settings,
                        host: host,
                        peer: ConnectionError.endpoint(host, port)
                    )
                }
            }
        } catch {
            throw Self.connectionError(error, host: host, port: port, timeout: configuration.connectTimeout)
        }
    }

    package static func connectionError(
        _ error: any Error,
        host: String,
        port: Int,
        timeout: Duration
    ) -> ConnectionError {
        if let error = error as? NIOConnectionError {
            let failures = error.connectionErrors.map(\.error)
            if failures.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
                return .unknownHost(host)
            }
            if failures.contains(where: SystemError.isRefused) {
                return .refused(host: host, port: port)
            }
            if failures.contains(where: Self.isConnectTimeout) {
                return .timedOut(host: host, port: port, after: timeout)
            }
            if let first = failures.first {
                return .connectFailed(host: host, port: port, reason: SystemError.phrase(first))
            }
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return .timedOut(host: host, port: port, after: timeout)
        }
        if SystemError.isRefused(error) {
            return .refused(host: host, port: port)
        }
        return .connectFailed(host: host, port: port, reason: SystemError.phrase(error))
    }
}

extension WireClient {
    /// The error a failed connection attempt to 127.0.0.1:1234 reports; for tests of the mapping.
    package static func connectionErrorForTesting(_ error: any Error, timeout: Duration) -> ConnectionError {
        Self.connectionError(error, host: "127.0.0.1", port: 1234, timeout: timeout)
    }

    static func isConnectTimeout(_ error: any Error) -> Bool {
        if case .connectTimeout = error as? ChannelError { return true }
        return false
    }
}
