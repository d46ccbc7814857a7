public import NIOCore
public import NIOPosix
import Synchronization
public import Wire

/// A chat session that outlives its connections: when one drops (a reset, the server restarting,
/// or silence that the heartbeats find), it connects again with backoff and resumes after the last
/// text it received, so that what was said meanwhile arrives once and in order (as far as the
/// room still keeps it: the room says how many it no longer has).
///
/// ```swift
/// let chat = ChatResumingClient(host: "127.0.0.1", port: 1234, username: "alice")
/// async let running: Void = chat.run()
/// try await chat.send("hello")
/// for await event in chat.events { print(event) }
/// ```
///
/// It speaks Wire's protocol (a hello first, docs/PROTOCOLS.md §4.1): use ``ChatClient/join`` for
/// the tutorial's server.
public final class ChatResumingClient: Sendable {
    /// What happens to the session.
    public enum Event: Sendable, Hashable {
        /// A record from the room (texts, and the room's notices).
        case record(ChatRecord)
        /// The first connection is up.
        case connected
        /// The connection was lost; the next attempt is in `retryIn`.
        case lost(reason: String, retryIn: Duration)
        /// An attempt to connect again failed; the next one is in `retryIn`.
        case retrying(reason: String, retryIn: Duration)
        /// Connected again; the room's first notice says what was missed.
        case resumed
    }

    /// Why the session ended for good.
    public enum Ending: Error, Sendable, Hashable, CustomStringConvertible {
        /// The server refused the username (taken, reserved, malformed).
        case refused(String)
        /// The server evicted this member (it read nothing for the stall timeout) or closed it for
        /// breaking the protocol.
        case closed(String)
        /// No connection for `giveUpAfter`: the server is gone.
        case unreachable(reason: String, after: Duration)

        public var description: String {
            switch self {
            case .refused(let reason): return "refused by the server: \(reason)"
            case .closed(let reason): return reason
            case .unreachable(let reason, let after):
                return "\(reason), and the server could not be reached again within \(after)"
            }
        }
    }

    struct State {
        var session: ChatSession?
        /// Texts sent while disconnected, sent on the next connection.
        var queued: [String] = []
        var isLeaving = false
    }

    public let events: AsyncStream<Event>
    let continuation: AsyncStream<Event>.Continuation
    let host: String
    let port: Int
    let username: String
    let configuration: ClientConfiguration
    let heartbeat: Duration
    let maximumWait: Duration
    let giveUpAfter: Duration?
    let eventLoopGroup: any EventLoopGroup
    /// The same on every connection of this session, so that the server knows it again.
    let sessionToken = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    let state = Mutex(State())

    /// - Parameters:
    ///   - heartbeat: How often each side says it is there; three silent intervals end a
    ///     connection. Default 10 seconds.
    ///   - maximumWait: The longest wait between attempts (it starts at half a second and doubles).
    ///   - giveUpAfter: Ends ``run()`` after this long without a connection; `nil` never gives up,
    ///     `.zero` ends it at the first loss (no reconnecting).
    public init(
        host: String = "127.0.0.1",
        port: Int = 1234,
        username: String,
        configuration: ClientConfiguration = ClientConfiguration(framing: .header()),
        heartbeat: Duration = .seconds(10),
        maximumWait: Duration = .seconds(10),
        giveUpAfter: Duration? = .seconds(300),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        (self.events, self.continuation) = AsyncStream.makeStream(of: Event.self)
        self.host = host
        self.port = port
        self.username = username
        self.configuration = configuration
        self.heartbeat = heartbeat
        self.maximumWait = maximumWait
        self.giveUpAfter = giveUpAfter
        self.eventLoopGroup = eventLoopGroup
    }

    /// Sends a text to the room now, or as soon as a connection is back.
    public func send(_ text: String) async throws {
        let session = self.state.withLock { state -> ChatSession? in
            guard let session = state.session else {
                state.queued.append(text)
                return nil
            }
            return session
        }
        guard let session else { return }
        do {
            try await session.send(text)
        } catch {
            // The connection died under it: it goes with the next one.
            self.state.withLock { $0.queued.append(text) }
        }
    }

    /// Leaves the room (a half-close, as the end of input is) and stops reconnecting.
    public func leave() async {
        let session = self.state.withLock { state -> ChatSession? in
            state.isLeaving = true
            return state.session
        }
        // Leaving a connection that is gone already leaves nothing to do.
        try? await session?.leave()
    }

    /// Connects, and connects again after every loss, until the session leaves, is refused or
    /// closed by the server, or the server stays out of reach for ``giveUpAfter``.
    public func run() async throws {
        defer { self.continuation.finish() }
        var position: ChatPosition?
        var wait = Duration.milliseconds(500)
        var isFirst = true
        var everHeard = false
        var disconnectedSince: ContinuousClock.Instant?
        while !Task.isCancelled {
            var reason = "the server closed the connection"
            do {
                let hello = ChatHello(session: self.sessionToken, resume: position, heartbeat: self.heartbeat)
                try await ChatClient.join(
                    host: self.host,
                    port: self.port,
                    username: self.username,
                    hello: hello,
                    configuration: self.configuration,
                    eventLoopGroup: self.eventLoopGroup
                ) { session in
                    let (queued, isLeaving) = self.state.withLock { state -> ([String], Bool) in
                        state.session = session
                        defer { state.queued.removeAll() }
                        return (state.queued, state.isLeaving)
                    }
                    self.continuation.yield(isFirst ? .connected : .resumed)
                    isFirst = false
                    wait = .milliseconds(500)
                    disconnectedSince = nil
                    for (index, text) in queued.enumerated() {
                        do {
                            try await session.send(text)
                        } catch {
                            // The connection failed (a TLS handshake, a reset): these go with the
                            // next one, and its records below say why it failed.
                            let unsent = queued[index...]
                            self.state.withLock { $0.queued.insert(contentsOf: unsent, at: 0) }
                            break
                        }
                    }
                    if isLeaving {
                        // It left while there was no connection: what it said goes first. If
                        // the connection failed instead, its records below say why.
                        try? await session.leave()
                    }
                    var first = true
                    defer {
                        everHeard = everHeard || session.heardFromServer.isSet
                        if let at = session.lastPosition, position.map({ $0 < at }) ?? true { position = at }
                    }
                    for try await record in session.records {
                        if record.username == ChatRoom.serverName {
                            if first, record.text.hasPrefix("refused: ") {
                                throw Ending.refused(String(record.text.dropFirst("refused: ".count)))
                            }
                            if record.text.hasPrefix("evicted: ") {
                                self.continuation.yield(.record(record))
                                throw Ending.closed(
                                    "evicted by the server: \(record.text.dropFirst("evicted: ".count))"
                                )
                            }
                            if record.text.hasPrefix("closed: ") {
                                self.continuation.yield(.record(record))
                                throw Ending.closed(
                                    "the server closed the connection: \(record.text.dropFirst("closed: ".count))"
                                )
                            }
                        }
                        first = false
                        if let at = record.position { position = at }
                        self.continuation.yield(.record(record))
                    }
                }
            } catch let ending as Ending {
                self.state.withLock { $0.session = nil }
                throw ending
            } catch {
                reason = "\(error)"
            }
            let (isLeaving, unsent) = self.state.withLock { state -> (Bool, Int) in
                state.session = nil
                return (state.isLeaving, state.queued.count)
            }
            // Leaving ends the session once the server was heard (a connection whose TLS handshake
            // failed took the texts but never delivered them) and nothing it said waits; otherwise
            // it fails or tries again as below.
            if isLeaving && unsent == 0 && everHeard { return }
            // A first connection that never got a word from the server (refused, reset at the
            // hello by a server that does not speak it, or too small a message limit) is not
            // tried again: that will not change.
            if self.giveUpAfter == .zero || !everHeard {
                throw Ending.closed(reason)
            }
            let wasConnected = disconnectedSince == nil
            let since = disconnectedSince ?? .now
            disconnectedSince = since
            if let giveUpAfter = self.giveUpAfter, ContinuousClock.now - since >= giveUpAfter {
                throw Ending.unreachable(reason: reason, after: giveUpAfter)
            }
            self.continuation.yield(
                wasConnected ? .lost(reason: reason, retryIn: wait) : .retrying(reason: reason, retryIn: wait)
            )
            try await Task.sleep(for: wait)
            wait = min(wait * 2, self.maximumWait)
        }
    }
}
