import Logging
import NIOCore
import NIOPosix
import Wire
import WireSecurity

/// What the server sends: the handshake (INFO, TLS, CONNECT, PONG), then on a live connection its
/// messages, pings, INFO updates and errors; and the client's own pings.
extension NATSConnectionCore {
    // MARK: What the server sends

    func received(_ operation: NATSServerOperation, on channel: any Channel) {
        switch self.state {
        case .handshaking(let current, let index, let sentConnect) where current === channel:
            self.handshake(operation, channel: channel, index: index, sentConnect: sentConnect)
        case .connected(let current, let index) where current === channel:
            self.operate(operation, channel: channel, index: index)
        default:
            // A channel that is on its way out.
            break
        }
    }

    func handshake(_ operation: NATSServerOperation, channel: any Channel, index: Int, sentConnect: Bool) {
        switch operation {
        case .info(let json):
            guard !sentConnect else {
                self.updateInfo(json, index: index)
                return
            }
            let info: NATSServerInfo
            do {
                info = try NATSServerInfo(json: json)
            } catch {
                self.lastFailure = "\(error)"
                channel.close(promise: nil)
                return
            }
            self.info = info
            let server = self.servers[index].address
            let usesTLS = server.requiresTLS || info.requiresTLS
            if usesTLS {
                do {
                    let tls: any ConnectionSecurity = try self.configuration.tls ?? WireTLS.client()
                    try channel.pipeline.syncOperations.addHandlers(
                        tls.makeHandlers(host: server.host),
                        position: .first
                    )
                } catch {
                    self.lastFailure = "TLS: \(error)"
                    channel.close(promise: nil)
                    return
                }
            }
            let options = NATSConnectOptions(
                tlsRequired: usesTLS,
                name: self.configuration.name,
                noResponders: info.supportsHeaders,
                echo: self.configuration.echo,
                user: server.user,
                pass: server.password,
                authToken: server.token
            )
            var bytes = channel.allocator.buffer(capacity: 256)
            NATSClientOperation.connect(options.json).write(into: &bytes)
            NATSClientOperation.ping.write(into: &bytes)
            channel.writeAndFlush(bytes, promise: nil)
            self.state = .handshaking(channel, index: index, sentConnect: true)
            self.learnServers(from: info, index: index)
        case .ping:
            // Straight to the channel: the outbound buffer is only sent once connected.
            var pong = channel.allocator.buffer(capacity: 6)
            NATSClientOperation.pong.write(into: &pong)
            channel.writeAndFlush(pong, promise: nil)
        case .pong:
            guard sentConnect else { return }
            self.established(channel, index: index)
        case .error(let text):
            self.lastFailure = "the server said: \(text)"
            // Worth a warning once (wrong credentials, say), not at every reconnect attempt.
            if self.lastRefusal != text {
                self.lastRefusal = text
                self.logger.warning("NATS server refused the connection", metadata: ["nats.error": "\(text)"])
            } else {
                self.logger.debug("NATS server refused the connection again", metadata: ["nats.error": "\(text)"])
            }
            channel.close(promise: nil)
        case .ok, .message:
            break
        }
    }

    func established(_ channel: any Channel, index: Int) {
        let server = self.servers[index].address
        self.state = .connected(channel, index: index)
        self.lastRefusal = nil
        // A server that was in lame-duck mode and takes clients again has been restarted.
        self.servers[index].isLameDuck = false
        self.failedAttempts = 0
        self.outstandingPings = 0
        self.pongWaiters.removeAll()
        self.outbound = channel.allocator.buffer(capacity: 16 * 1024)
        // Subscriptions first, then what was published while disconnected, in order.
        for (id, subscription) in self.subscriptions.sorted(by: { $0.key < $1.key }) {
            NATSClientOperation.subscribe(
                subject: subscription.subject,
                queueGroup: subscription.queueGroup,
                subscriptionID: String(id)
            )
            .write(into: &self.outbound)
        }
        let limit = self.info?.maximumPayload ?? Int.max
        for publish in self.pending {
            if publish.size > limit {
                let reason = NATSClientError.payloadTooLarge(size: publish.size, limit: limit).description
                self.events.yield(.publishDropped(subject: publish.subject, reason: reason))
                continue
            }
            self.outbound.writeImmutableBuffer(publish.bytes)
        }
        self.pending.removeAll()
        self.pendingBytes = 0
        self.flushOutbound()
        self.startPinging(channel)
        let first = !self.hasConnected
        self.hasConnected = true
        self.logger.info(first ? "connected to NATS" : "reconnected to NATS", metadata: ["nats.server": "\(server)"])
        self.events.yield(first ? .connected(server) : .reconnected(server))
        for promise in self.firstConnect { promise.succeed() }
        self.firstConnect.removeAll()
        self.resumeWritableWaiters()
    }

    func operate(_ operation: NATSServerOperation, channel: any Channel, index: Int) {
        // Whatever the server sends proves it is there: a PONG may wait behind megabytes of
        // messages on a busy connection, and that connection is not stale.
        self.outstandingPings = 0
        switch operation {
        case .message(let message):
            self.deliver(message)
        case .ping:
            self.write(.pong, on: channel)
        case .pong:
            if let waiter = self.pongWaiters.popFirst() {
                waiter?.succeed()
            }
        case .info(let json):
            self.updateInfo(json, index: index)
        case .error(let text):
            let lowered = text.lowercased()
            if lowered.hasPrefix("invalid subject") || lowered.hasPrefix("permissions violation")
                || lowered.hasPrefix("maximum subscriptions exceeded")
            {
                self.logger.warning("NATS server error", metadata: ["nats.error": "\(text)"])
                self.events.yield(.serverError(text))
            } else {
                // Every other -ERR ends the connection; the server closes it, and so do we.
                self.lastFailure = "the server said: \(text)"
                self.logger.warning("NATS server closed the connection", metadata: ["nats.error": "\(text)"])
                channel.close(promise: nil)
            }
        case .ok:
            break
        }
    }

    func updateInfo(_ json: ByteBuffer, index: Int) {
        guard let info = try? NATSServerInfo(json: json) else {
            // An update that does not parse changes nothing; the connection goes on as it was.
            self.logger.debug(
                "NATS INFO update not understood",
                metadata: ["nats.info": "\(String(buffer: json).prefix(200))"]
            )
            return
        }
        self.info = info
        self.learnServers(from: info, index: index)
        if info.isLameDuck && !self.servers[index].isLameDuck {
            self.servers[index].isLameDuck = true
            self.logger.info(
                "NATS server is in lame-duck mode",
                metadata: ["nats.server": "\(self.servers[index].address)"]
            )
            self.events.yield(.lameDuckMode(self.servers[index].address))
        }
    }

    /// Adds the cluster's other servers, with the credentials of the one that told of them.
    func learnServers(from info: NATSServerInfo, index: Int) {
        let current = self.servers[index].address
        for url in info.connectURLs {
            // A URL this client cannot parse is one server fewer to fall back on, not an error.
            guard var address = try? NATSServerAddress(parsing: url) else { continue }
            guard !self.servers.contains(where: { $0.address.isSameServer(as: address) }) else { continue }
            address.requiresTLS = current.requiresTLS
            address.user = current.user
            address.password = current.password
            address.token = current.token
            self.servers.append(Server(address: address))
        }
    }

    func deliver(_ message: NATSMessage) {
        guard let id = UInt64(message.subscriptionID), let subscription = self.subscriptions[id] else {
            // A message for a subscription just cancelled.
            return
        }
        switch subscription.sink {
        case .handler(let handler):
            handler(message)
        case .stream(let continuation):
            if case .dropped = continuation.yield(message) {
                self.events.yield(.slowConsumer(subject: subscription.subject, dropped: 1))
            }
        }
    }

    // MARK: Pings

    func startPinging(_ channel: any Channel) {
        self.stopPinging()
        let bound = NIOLoopBound(self, eventLoop: self.loop)
        let interval = TimeAmount(self.configuration.pingInterval)
        self.pingTask = self.loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            bound.value.keepalive(channel)
        }
    }

    func stopPinging() {
        self.pingTask?.cancel()
        self.pingTask = nil
    }

    func keepalive(_ channel: any Channel) {
        guard case .connected(let current, _) = self.state, current === channel else { return }
        if self.outstandingPings >= self.configuration.maximumOutstandingPings {
            let error = NATSClientError.staleConnection(pings: self.outstandingPings)
            self.lastFailure = error.description
            channel.close(promise: nil)
            return
        }
        self.outstandingPings += 1
        self.pongWaiters.append(nil)
        self.write(.ping, on: channel)
    }

    /// Sends PING; the future succeeds when its PONG arrives, so everything sent before it has
    /// been processed by the server.
    func flush() -> EventLoopFuture<Void> {
        switch self.state {
        case .connected(let channel, _):
            let promise = self.loop.makePromise(of: Void.self)
            self.pongWaiters.append(promise)
            self.write(.ping, on: channel)
            return promise.futureResult
        case .closed:
            return self.loop.makeFailedFuture(NATSClientError.closed)
        default:
            return self.loop.makeFailedFuture(NATSClientError.connectionLost)
        }
    }
}
