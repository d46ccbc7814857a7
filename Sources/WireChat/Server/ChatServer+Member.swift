import NIOCore
import Synchronization
import Wire
import WireFraming

/// One TCP member's life in the room: the username, then texts and commands until it leaves.
///
/// Split in steps on purpose: an async function's frame stays in the member's task while it waits
/// for messages, so the step that waits (``relay(_:messages:room:reportsTexts:onEvent:)``) holds
/// only what relaying needs; the handshake's and the errors' temporaries are gone by then.
extension ChatServer {
    /// A member the room has admitted.
    struct Member: Sendable {
        let id: ChatRoom.MemberID
        let username: String
        /// The username's frame, framed once for every text the member sends.
        let nameFrame: ByteBuffer
        /// What its hello asked for, if it sent one (Wire's own client).
        let hello: ChatHello?
    }

    static func serve(
        _ connection: WireConnection,
        room: ChatRoom,
        configuration: ChatServerConfiguration,
        onEvent: @escaping @Sendable (ChatEvent) -> Void
    ) async {
        var messages = connection.messages.makeAsyncIterator()
        let admitted = await Self.admit(
            connection,
            messages: &messages,
            room: room,
            usernameLimit: configuration.maximumUsernameBytes,
            onEvent: onEvent
        )
        guard let member = admitted else { return }
        let failure: (any Error)?
        if let heartbeat = member.hello?.heartbeat {
            failure = await Self.relayWithHeartbeats(
                member,
                every: heartbeat,
                messages: &messages,
                connection: connection,
                room: room,
                configuration: configuration,
                onEvent: onEvent
            )
        } else {
            failure = await Self.relay(
                member,
                messages: &messages,
                room: room,
                reportsTexts: configuration.reportsTexts,
                onEvent: onEvent
            )
        }
        if let failure {
            Self.report(failure, member: member, connection: connection, room: room, onEvent: onEvent)
        }
        room.leave(member.id)
        // What the room queued for this member before it left still reaches it, unless it has
        // stopped reading.
        await room.flush(connection, within: room.stallTimeout)
        onEvent(.closed(username: member.username))
    }

    /// Relays, while the room sends the member a heartbeat every `interval` and takes it as gone
    /// after three intervals without a word from it (its heartbeats count).
    private static func relayWithHeartbeats(
        _ member: Member,
        every interval: Duration,
        messages: inout IncomingMessages.AsyncIterator,
        connection: WireConnection,
        room: ChatRoom,
        configuration: ChatServerConfiguration,
        onEvent: @escaping @Sendable (ChatEvent) -> Void
    ) async -> (any Error)? {
        let lastHeard = LastHeard()
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await Self.sendHeartbeats(to: member.id, every: interval, room: room, lastHeard: lastHeard) { silence in
                    onEvent(
                        .failed(
                            peer: connection.peerDescription,
                            username: member.username,
                            error: ChatError.silent(after: silence)
                        )
                    )
                    connection.close()
                }
            }
            let failure = await Self.relay(
                member,
                messages: &messages,
                room: room,
                reportsTexts: configuration.reportsTexts,
                onEvent: onEvent
            ) {
                lastHeard.heard()
            }
            group.cancelAll()
            return failure
        }
    }

    /// Reads the username and joins the room, or refuses the connection with a notice.
    @inline(never)  // its frame is freed before the member's long wait, not merged into serve's
    private static func admit(
        _ connection: WireConnection,
        messages: inout IncomingMessages.AsyncIterator,
        room: ChatRoom,
        usernameLimit: Int,
        onEvent: @escaping @Sendable (ChatEvent) -> Void
    ) async -> Member? {
        let username: String
        var hello: ChatHello?
        do {
            guard var first = try await messages.next() else { return nil }
            // Wire's own client says hello first (a frame no username can be), then its name.
            hello = try ChatHello.parse(first)
            if hello != nil {
                guard let name = try await messages.next() else { return nil }
                first = name
            }
            username = try Self.validatedUsername(first, limit: usernameLimit)
        } catch let error as ChatError {
            await Self.refuse(connection, reason: error, positioned: hello != nil, onEvent: onEvent)
            return nil
        } catch {
            onEvent(.failed(peer: connection.peerDescription, username: nil, error: error))
            return nil
        }
        do {
            // What the node's log no longer has, from the stream, before the member is in.
            let older = await room.older(since: hello?.resume)
            let id = try room.join(name: username, connection: connection, hello: hello, older: older) { reason in
                onEvent(.dropped(username: username, reason: reason))
            }
            onEvent(.accepted(peer: connection.peerDescription, username: username))
            if hello != nil {
                // At once: the client knows it is in (a quiet room may say nothing for a while).
                room.heartbeat(id)
            }
            return Member(id: id, username: username, nameFrame: room.nameFrame(username), hello: hello)
        } catch {
            await Self.refuse(connection, reason: error, positioned: hello != nil, onEvent: onEvent)
            return nil
        }
    }

    /// Relays the member's texts a burst at a time until it quits or its stream ends; returns
    /// the error that ended it, if one did.
    @inline(never)  // a frame of its own, apart from serve's
    private static func relay(
        _ member: Member,
        messages: inout IncomingMessages.AsyncIterator,
        room: ChatRoom,
        reportsTexts: Bool,
        onEvent: @Sendable (ChatEvent) -> Void,
        onActivity: () -> Void = {}
    ) async -> (any Error)? {
        // A member that said hello sends empty frames as heartbeats; the tutorial's are texts.
        let skipsEmpty = member.hello != nil
        do {
            reading: while let batch = try await messages.nextBatch() {
                onActivity()
                // Commands split a burst where they stand.
                var texts: [ByteBuffer] = []
                texts.reserveCapacity(batch.count)
                for message in batch {
                    if skipsEmpty && message.readableBytes == 0 { continue }
                    if let command = Self.command(in: message) {
                        await room.publish(texts, from: member.id, nameFrame: member.nameFrame)
                        texts.removeAll(keepingCapacity: true)
                        switch command {
                        case .quit:
                            break reading
                        case .who:
                            room.answerWho(member.id)
                        }
                        continue
                    }
                    if reportsTexts {
                        onEvent(
                            .received(
                                username: member.username,
                                text: String(decoding: message.readableBytesView, as: UTF8.self)
                            )
                        )
                    }
                    texts.append(message)
                }
                await room.publish(texts, from: member.id, nameFrame: member.nameFrame)
            }
            return nil
        } catch {
            return error
        }
    }

    /// Says why a member's stream ended with an error: to the member when it broke the framing,
    /// and as an event; a cancellation (the server is stopping) is no failure.
    private static func report(
        _ error: any Error,
        member: Member,
        connection: WireConnection,
        room: ChatRoom,
        onEvent: @Sendable (ChatEvent) -> Void
    ) {
        switch error {
        case is CancellationError:
            return
        case let error as FramingError:
            // Tell the member why, in its own framing, before it is closed.
            room.notify(member.id, "closed: \(error)")
            onEvent(.failed(peer: connection.peerDescription, username: member.username, error: error))
        default:
            onEvent(.failed(peer: connection.peerDescription, username: member.username, error: error))
        }
    }

    /// The commands a member may send instead of a text.
    enum Command {
        case who
        case quit
    }

    static func command(in message: ByteBuffer) -> Command? {
        guard message.readableBytes <= 5,
            message.getInteger(at: message.readerIndex, as: UInt8.self) == UInt8(ascii: "/")
        else {
            return nil
        }
        switch String(decoding: message.readableBytesView, as: UTF8.self) {
        case "/who": return .who
        case "/quit": return .quit
        default: return nil
        }
    }

    static func refuse(
        _ connection: WireConnection,
        reason: ChatError,
        positioned: Bool,
        onEvent: @Sendable (ChatEvent) -> Void
    ) async {
        onEvent(.refused(peer: connection.peerDescription, reason: reason))
        // A notice the client can print as an ordinary record (with an empty position after a
        // hello), then the close.
        do {
            let frames = ChatRecord(username: ChatRoom.serverName, text: "refused: \(reason)").frames
            try await connection.send(contentsOf: positioned ? frames + [ByteBuffer()] : frames)
        } catch {
            // The client left before hearing why: the refusal stands and was reported above.
        }
    }

    static func validatedUsername(_ frame: ByteBuffer, limit: Int) throws(ChatError) -> String {
        guard frame.readableBytes > 0 else { throw ChatError.emptyUsername }
        guard frame.readableBytes <= limit else {
            throw ChatError.usernameTooLong(length: frame.readableBytes, limit: limit)
        }
        guard let name = String(validating: frame.readableBytesView, as: UTF8.self),
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw ChatError.usernameNotText
        }
        return name
    }
}
