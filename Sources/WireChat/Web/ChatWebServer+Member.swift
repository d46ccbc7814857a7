import NIOCore
import NIOWebSocket
@_spi(Broadcast) import Wire

/// One browser member's life in the room: its first text is its username, later ones are texts or
/// commands, until it closes or is closed. Split in steps, as a TCP member's is, so that the
/// frame that waits for its texts holds only what relaying needs.
extension ChatWebServer {
    /// A browser member the room has admitted.
    struct WebMember {
        let id: ChatRoom.MemberID
        let username: String
        let nameFrame: ByteBuffer
        /// What the page said before its username, if anything (docs/PROTOCOLS.md §4.1).
        let hello: ChatHello?
        /// Where the room writes its records.
        let sink: WebSocketMember
    }

    func serve(_ member: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) async {
        let channel = member.channel
        let peer = channel.remoteAddress?.endpointDescription ?? "unknown peer"
        do {
            try await member.executeThenClose { inbound, outbound in
                var texts = WebSocketTexts(
                    inbound,
                    outbound: outbound,
                    maximumMessageSize: self.configuration.server.maximumMessageSize
                )
                guard let admitted = try await self.admit(&texts, channel: channel, peer: peer) else {
                    try await texts.sendClose()
                    return
                }
                defer {
                    self.room.leave(admitted.id)
                    self.onEvent(.closed(username: admitted.username))
                }
                let quit = try await self.relayWithHeartbeats(admitted, &texts, channel: channel, peer: peer)
                // Out of the room before the close frame, so that no record can follow it; after
                // /quit, what the room queued before still reaches the member (as a TCP member's
                // does), unless it has stopped reading.
                self.room.leave(admitted.id)
                if quit {
                    await self.room.flush(admitted.sink, within: self.room.stallTimeout)
                    texts.close(.normalClosure)
                }
                try await texts.sendClose()
            }
        } catch {
            self.report(error, peer: peer)
        }
    }

    /// Relays the member's texts; with heartbeats when its hello asked for them (the page sends
    /// one when it has said nothing for the interval, and takes the connection as dead after three
    /// of the room's that do not come). Returns whether it said /quit.
    private func relayWithHeartbeats(
        _ admitted: WebMember,
        _ texts: inout WebSocketTexts,
        channel: any Channel,
        peer: String
    ) async throws -> Bool {
        guard let interval = admitted.hello?.heartbeat else {
            return try await self.relay(admitted, &texts)
        }
        let lastHeard = ChatServer.LastHeard()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await ChatServer.sendHeartbeats(
                    to: admitted.id,
                    every: interval,
                    room: self.room,
                    lastHeard: lastHeard
                ) { silence in
                    self.onEvent(
                        .failed(peer: peer, username: admitted.username, error: ChatError.silent(after: silence))
                    )
                    channel.close(promise: nil)
                }
            }
            defer { group.cancelAll() }
            return try await self.relay(admitted, &texts) { lastHeard.heard() }
        }
    }

    /// Reads the username and joins the room, or refuses the member with a notice and a close.
    @inline(never)  // its frame is freed before the member's long wait
    private func admit(_ texts: inout WebSocketTexts, channel: any Channel, peer: String) async throws -> WebMember? {
        guard var first = try await texts.next() else { return nil }
        var hello: ChatHello?
        do {
            // The chat page says hello first (a text no username can be), then its name.
            hello = try ChatHello.parse(first)
            if hello != nil {
                guard let name = try await texts.next() else { return nil }
                first = name
            }
            let name = try ChatServer.validatedUsername(first, limit: self.configuration.maximumUsernameBytes)
            let sink = WebSocketMember(
                channel: channel,
                framing: self.configuration.server.framing,
                positioned: hello != nil,
                logger: self.logger
            )
            // What the node's log no longer has, from the stream, before the member is in.
            let older = await self.room.older(since: hello?.resume)
            let id = try self.room.join(name: name, connection: sink, hello: hello, older: older) { reason in
                self.onEvent(.dropped(username: name, reason: reason))
            }
            self.onEvent(.accepted(peer: peer, username: name))
            return WebMember(id: id, username: name, nameFrame: self.room.nameFrame(name), hello: hello, sink: sink)
        } catch let error as ChatError {
            self.onEvent(.refused(peer: peer, reason: error))
            let notice = WebSocketMember.textFrame(
                user: ByteBuffer(string: ChatRoom.serverName),
                text: ByteBuffer(string: "refused: \(error)"),
                allocator: channel.allocator
            )
            try await texts.write(notice)
            texts.close(.policyViolation)
            return nil
        }
    }

    /// Relays the member's texts, one at a time, and answers its commands, until it leaves;
    /// returns whether it said /quit.
    @inline(never)  // a frame of its own, apart from serve's
    private func relay(
        _ member: WebMember,
        _ texts: inout WebSocketTexts,
        onActivity: () -> Void = {}
    ) async throws -> Bool {
        while let text = try await texts.next() {
            onActivity()
            // After a hello an empty text is a heartbeat.
            if member.hello != nil && text.readableBytes == 0 { continue }
            switch ChatServer.command(in: text) {
            case .quit:
                return true
            case .who:
                self.room.answerWho(member.id)
            case nil:
                if self.configuration.reportsTexts {
                    self.onEvent(
                        .received(
                            username: member.username,
                            text: String(decoding: text.readableBytesView, as: UTF8.self)
                        )
                    )
                }
                await self.room.publish([text], from: member.id, nameFrame: member.nameFrame)
            }
        }
        return false
    }

    /// A browser that went away without a close frame (a closed tab) just left; anything else is
    /// a failure worth an event.
    private func report(_ error: any Error, peer: String) {
        switch error {
        case let error as IOError where SystemError.isPeerGone(error):
            break
        case ChannelError.ioOnClosedChannel:
            // Likewise, noticed while answering it.
            break
        default:
            self.onEvent(.failed(peer: peer, username: nil, error: error))
        }
    }
}
