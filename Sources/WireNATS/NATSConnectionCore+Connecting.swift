import Logging
import NIOCore
import NIOPosix
import Wire

/// Connecting and losing the connection: the attempts, the choice of server, the backoff, and
/// what the core does when a connection goes.
extension NATSConnectionCore {
    // MARK: Connecting

    func attempt() {
        guard !self.isClosed else { return }
        let index = self.chooseServer()
        let server = self.servers[index].address
        self.state = .connecting(index: index)
        self.logger.debug("connecting to NATS", metadata: ["nats.server": "\(server)"])
        let bound = NIOLoopBound(self, eventLoop: self.loop)
        let timeout = TimeAmount(self.configuration.connectTimeout)
        ClientBootstrap(group: self.loop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // The server's own control lines may be longer than the 4 KiB it allows its
                    // clients (a MSG for a long subject, an INFO with many connect_urls).
                    let operations = ByteToMessageHandler(
                        NATSServerOperationDecoder(maximumControlLineLength: 64 * 1024)
                    )
                    try channel.pipeline.syncOperations.addHandlers([operations, NATSClientHandler(core: bound.value)])
                }
            }
            .connect(host: server.host, port: server.port)
            .whenComplete { result in
                let core = bound.value
                switch result {
                case .success(let channel):
                    guard case .connecting(index) = core.state else {
                        // Closed meanwhile.
                        channel.close(promise: nil)
                        return
                    }
                    core.state = .handshaking(channel, index: index, sentConnect: false)
                    // The whole handshake must finish in time too.
                    core.loop.scheduleTask(in: timeout) {
                        let core = bound.value
                        if case .handshaking(let current, _, _) = core.state, current === channel {
                            core.lastFailure = "no answer to CONNECT within \(core.configuration.connectTimeout)"
                            channel.close(promise: nil)
                        }
                    }
                case .failure(let error):
                    guard case .connecting(index) = core.state else { return }
                    let reason = WireClient.connectionError(
                        error,
                        host: server.host,
                        port: server.port,
                        timeout: core.configuration.connectTimeout
                    )
                    core.attemptFailed(reason: reason.description, server: server)
                }
            }
    }

    /// The next server to try: round robin, skipping servers in lame-duck mode while others exist.
    func chooseServer() -> Int {
        let count = self.servers.count
        for offset in 0..<count {
            let index = (self.nextServer + offset) % count
            if !self.servers[index].isLameDuck {
                self.nextServer = (index + 1) % count
                return index
            }
        }
        let index = self.nextServer % count
        self.nextServer = (index + 1) % count
        return index
    }

    func attemptFailed(reason: String, server: NATSServerAddress) {
        self.lastFailure = reason
        self.failedAttempts += 1
        self.events.yield(.connectionAttemptFailed(server, reason: reason))
        let servers = self.servers.map(\.address.description).joined(separator: ",")
        self.logger.debug(
            "NATS connection attempt failed",
            metadata: ["nats.reason": "\(reason)", "nats.attempt": "\(self.failedAttempts)"]
        )
        if !self.hasConnected && !self.configuration.retriesFirstConnect && self.failedAttempts >= self.servers.count {
            // One round of every server, and none answered.
            let error = NATSClientError.connectFailed(servers: servers, reason: reason)
            for promise in self.firstConnect { promise.fail(error) }
            self.firstConnect.removeAll()
            self.state = .idle
            self.failedAttempts = 0
            self.failWaiters(error)
            return
        }
        self.scheduleAttempt()
    }

    func scheduleAttempt() {
        // A different server is tried at once; the same one after a doubling wait, with jitter.
        let round = max(0, (self.failedAttempts - 1) / max(1, self.servers.count))
        let base = TimeAmount(self.configuration.reconnectWait).nanoseconds
        let cap = TimeAmount(self.configuration.maximumReconnectWait).nanoseconds
        let (doubled, overflow) = base.multipliedReportingOverflow(by: Int64(1) << min(round, 20))
        var wait =
            self.failedAttempts % max(1, self.servers.count) == 0 || self.servers.count == 1
            ? (overflow ? cap : min(cap, doubled)) : 0
        if wait > 0 {
            wait = Int64(Double(wait) * Double.random(in: 0.75...1.25))
        }
        let bound = NIOLoopBound(self, eventLoop: self.loop)
        self.state = .waiting(self.loop.scheduleTask(in: .nanoseconds(wait)) { bound.value.attempt() })
    }

    // MARK: Losing the connection

    func closed(_ channel: any Channel, error: (any Error)?) {
        if let error { self.lastFailure = Self.describe(error) }
        switch self.state {
        case .handshaking(let current, let index, _) where current === channel:
            self.attemptFailed(reason: self.lastFailure, server: self.servers[index].address)
        case .connected(let current, let index) where current === channel:
            self.stopPinging()
            self.failWaiters(NATSClientError.connectionLost)
            self.outbound.clear()
            self.flushScheduled = false
            let reason =
                error.map(Self.describe)
                ?? (self.lastFailure == "no attempt yet" ? "the server closed the connection" : self.lastFailure)
            self.logger.info(
                "lost the connection to NATS",
                metadata: ["nats.server": "\(self.servers[index].address)", "nats.reason": "\(reason)"]
            )
            self.events.yield(.disconnected(reason: reason))
            self.lastFailure = "the server closed the connection"
            self.failedAttempts = 1
            self.scheduleAttempt()
        default:
            break
        }
    }

    func failWaiters(_ error: NATSClientError) {
        let waiters = self.pongWaiters
        self.pongWaiters.removeAll()
        for waiter in waiters { waiter?.fail(error) }
        // Publishers waiting for a full socket go on. What they handed over went down with the
        // connection, as everything in flight does in core NATS (at most once); their next
        // publishes are buffered for the next connection.
        self.resumeWritableWaiters()
    }
}
