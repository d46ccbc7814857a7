import CoreMetrics
import NIOCore
import Wire
import WireFraming

/// What one kind of member connection gives a member's session: its messages, where the room
/// writes its records, and how it is refused and ended. A TCP connection in the room's framing
/// (``ChatServer/TCPTransport``) and a browser over WebSocket (``WebSocketTransport``).
protocol ChatMemberTransport: SendableMetatype {
    associatedtype Sink: ChatMemberSink

    /// The peer's address, for events.
    var peer: String { get }
    /// Where the room writes this member's records; `positioned`: it said hello.
    func sink(positioned: Bool) -> Sink
    /// The next message alone (a hello, a username); `nil` at the end.
    mutating func next() async throws -> ByteBuffer?
    /// The next burst of messages, in order; `nil` at the end.
    mutating func nextBatch() async throws -> [ByteBuffer]?
    /// Refuses the member: a notice that says why, and whatever ends the connection.
    mutating func refuse(_ reason: ChatError, positioned: Bool) async
    /// Ends the connection of a member that has left the room (and been flushed): after /quit
    /// (`quit`), or because its messages ended.
    mutating func finish(quit: Bool) async
    /// Hands the member's messages over to a relay on the connection's event loop
    /// (``ChatMemberRelay``), so that the member's task ends and a quiet member costs no task:
    /// what was taken of a burst and not handed out yet, and the poller of the rest. `nil` for a
    /// transport whose members stay in their tasks. A member handed off is ended by the hand-off's
    /// `close` (``finish(quit:)`` is not called).
    mutating func handOff() -> ChatMemberHandoff?
    /// Whether `error`, ending the member's messages, is just the peer going away.
    static func isPeerGone(_ error: any Error) -> Bool
    /// How members of this transport are counted.
    static var kind: ChatTransportKind { get }
}

/// A member's messages handed over to a relay on its connection's event loop
/// (``ChatMemberTransport/handOff()``).
struct ChatMemberHandoff {
    /// What the member's task took of a burst and had not handed out yet.
    var unconsumed: [ByteBuffer]
    /// The rest of its messages.
    var rest: MessagePoller
    /// Ends the connection once the member has left the room and what the room queued for it
    /// was flushed: after /quit (`quit`), or because its messages ended. On its event loop;
    /// `nil`: its sink is closed (a TCP member, which then costs no closure).
    var close: (@Sendable (_ quit: Bool) -> Void)?
}

/// One member's life in the room, whatever carries it: the hello and the username, then texts
/// and commands (with heartbeats when its hello asked for them) until it leaves; then what the
/// room queued for it before it left, and the end. Written once for TCP members and browsers.
///
/// Split in steps on purpose: an async function's frame stays in the member's task while it waits
/// for messages, so the step that waits (``relay(_:_:onActivity:)``) holds only what relaying
/// needs; the handshake's and the errors' temporaries are gone by then.
struct ChatMemberSession<Transport: ChatMemberTransport>: Sendable {
    /// A member the room has admitted.
    struct Member: Sendable {
        let id: ChatRoom.MemberID
        let username: String
        /// What its hello asked for, if it sent one (Wire's own client, the chat page).
        let hello: ChatHello?
        let sink: Transport.Sink
    }

    let room: ChatRoom
    let usernameLimit: Int
    let reportsTexts: Bool
    let onEvent: @Sendable (ChatEvent) -> Void

    /// Serves the member; returns whether it was handed off to a relay on its event loop (its
    /// connection then lives on after this returns, see ``ChatMemberTransport/handOff()``).
    func run(_ transport: inout Transport) async -> Bool {
        guard let member = await self.admit(&transport) else { return false }
        if let handoff = transport.handOff() {
            self.relayOnEventLoop(member, handoff: handoff, peer: transport.peer)
            return true
        }
        let (failure, quit) = await self.relayWithHeartbeats(member, &transport)
        self.leave(member, failure: failure, peer: transport.peer)
        // What the room queued for this member before it left still reaches it, unless it has
        // stopped reading; only then the end (a browser's Close frame: nothing may follow it).
        await self.room.flush(member.sink, within: self.room.stallTimeout)
        await transport.finish(quit: quit)
        self.onEvent(.closed(username: member.username))
        return false
    }

    @inline(never)  // synchronous: nothing of it stays in the task, which ends right after
    private func relayOnEventLoop(_ member: Member, handoff: ChatMemberHandoff, peer: String) {
        ChatMemberRelay(session: self, member: member, peer: peer, messages: handoff.rest, close: handoff.close)
            .start(with: handoff.unconsumed)
    }

    /// The member has left: why, if its messages ended with an error; the room let go of it.
    func leave(_ member: Member, failure: (any Error)?, peer: String) {
        if let failure {
            self.report(failure, member: member, peer: peer)
        }
        self.room.leave(member.id)
        self.room.metrics.members(Transport.kind).decrement()
    }

    /// What a burst of a member's messages asks of the room, in order.
    enum Step {
        /// Texts to publish (never none).
        case texts([ByteBuffer])
        case who
        case quit
    }

    /// The steps of a burst: its texts, split where a command stands. A member that said hello
    /// sends empty messages as heartbeats (skipped); the tutorial's are texts.
    func steps(_ batch: [ByteBuffer], of member: Member) -> [Step] {
        let skipsEmpty = member.hello != nil
        var steps: [Step] = []
        var texts: [ByteBuffer] = []
        texts.reserveCapacity(batch.count)
        for message in batch {
            if skipsEmpty && message.readableBytes == 0 { continue }
            if let command = ChatServer.command(in: message) {
                if !texts.isEmpty {
                    steps.append(.texts(texts))
                    texts.removeAll(keepingCapacity: true)
                }
                switch command {
                case .quit: steps.append(.quit)
                case .who: steps.append(.who)
                }
                continue
            }
            if self.reportsTexts {
                self.onEvent(
                    .received(
                        username: member.username,
                        text: String(decoding: message.readableBytesView, as: UTF8.self)
                    )
                )
            }
            texts.append(message)
        }
        if !texts.isEmpty { steps.append(.texts(texts)) }
        return steps
    }

    /// Reads the hello (if any) and the username and joins the room, or refuses the member.
    @inline(never)  // its frame is freed before the member's long wait, not merged into run's
    private func admit(_ transport: inout Transport) async -> Member? {
        let username: String
        var hello: ChatHello?
        do {
            guard var first = try await transport.next() else { return nil }
            // Wire's own clients say hello first (a frame no username can be), then the name.
            hello = try ChatHello.parse(first)
            if hello != nil {
                guard let name = try await transport.next() else { return nil }
                first = name
            }
            username = try ChatServer.validatedUsername(first, limit: self.usernameLimit)
        } catch let error as ChatError {
            self.onEvent(.refused(peer: transport.peer, reason: error))
            await transport.refuse(error, positioned: hello != nil)
            return nil
        } catch {
            if !Transport.isPeerGone(error) {
                self.onEvent(.failed(peer: transport.peer, username: nil, error: error))
            }
            return nil
        }
        // What the node's log no longer has, from the stream, before the member is in.
        let older = await self.room.older(since: hello?.resume)
        do {
            return try self.enter(username, hello: hello, older: older, transport: transport)
        } catch {
            self.onEvent(.refused(peer: transport.peer, reason: error))
            await transport.refuse(error, positioned: hello != nil)
            return nil
        }
    }

    /// Joins the room. Synchronous and not inlined into ``admit(_:)``: its temporaries live on the
    /// thread's stack for a moment, not in the task's allocator, whose slabs the member's task
    /// keeps for its whole life (0.9 KB per quiet member).
    @inline(never)
    private func enter(
        _ username: String,
        hello: ChatHello?,
        older: ChatLog.Older?,
        transport: Transport
    ) throws(ChatError) -> Member {
        let sink = transport.sink(positioned: hello != nil)
        let id = try self.room.join(name: username, connection: sink, hello: hello, older: older) { reason in
            self.onEvent(.dropped(username: username, reason: reason))
        }
        self.room.metrics.members(Transport.kind).increment()
        self.onEvent(.accepted(peer: transport.peer, username: username))
        if hello != nil {
            // At once: the client knows it is in (a quiet room may say nothing for a while).
            self.room.heartbeat(id)
        }
        return Member(id: id, username: username, hello: hello, sink: sink)
    }

    /// Relays; when the hello asked for heartbeats, the room sends the member one every interval
    /// and takes it as gone after three intervals without a word from it (its heartbeats count).
    private func relayWithHeartbeats(
        _ member: Member,
        _ transport: inout Transport
    ) async -> (failure: (any Error)?, quit: Bool) {
        guard let interval = member.hello?.heartbeat else {
            return await self.relay(member, &transport)
        }
        let lastHeard = ChatServer.LastHeard()
        let peer = transport.peer
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await ChatServer.sendHeartbeats(
                    to: member.id,
                    every: interval,
                    room: self.room,
                    lastHeard: lastHeard
                ) { silence in
                    self.onEvent(
                        .failed(peer: peer, username: member.username, error: ChatError.silent(after: silence))
                    )
                    member.sink.close()
                }
            }
            defer { group.cancelAll() }
            return await self.relay(member, &transport) { lastHeard.heard() }
        }
    }

    /// Relays the member's texts a burst at a time until it quits or its messages end; returns
    /// the error that ended it, if one did, and whether it said /quit.
    @inline(never)  // a frame of its own, apart from run's
    private func relay(
        _ member: Member,
        _ transport: inout Transport,
        onActivity: () -> Void = {}
    ) async -> (failure: (any Error)?, quit: Bool) {
        do {
            while let batch = try await transport.nextBatch() {
                onActivity()
                for step in self.steps(batch, of: member) {
                    switch step {
                    case .texts(let texts):
                        await self.room.publish(texts, from: member.id)
                    case .who:
                        self.room.answerWho(member.id)
                    case .quit:
                        return (nil, true)
                    }
                }
            }
            return (nil, false)
        } catch {
            return (error, false)
        }
    }

    /// Says why a member's messages ended with an error: to the member when it broke the
    /// framing, and as an event; a cancellation (the server is stopping) or a peer that just went
    /// away is no failure.
    private func report(_ error: any Error, member: Member, peer: String) {
        switch error {
        case is CancellationError:
            return
        case let error as FramingError:
            // Tell the member why, in its own framing, before it is closed.
            self.room.notify(member.id, "closed: \(error)")
            self.onEvent(.failed(peer: peer, username: member.username, error: error))
        case _ where Transport.isPeerGone(error):
            return
        default:
            self.onEvent(.failed(peer: peer, username: member.username, error: error))
        }
    }
}
