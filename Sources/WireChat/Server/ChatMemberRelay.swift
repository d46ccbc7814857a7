import NIOCore
import Wire

/// A member in the room, relayed on its connection's event loop rather than in a task of its own:
/// what its task did after the member joined (``ChatMemberSession``'s relay, heartbeats and end),
/// done as its messages come. A quiet member is then this object and its connection, about 5 KB;
/// a task per member kept some 7 KB of async frames besides (heaptrack, 3,000 quiet members).
///
/// It takes the member's bursts from the connection's queue as they come, publishes their texts
/// (when another member is too far behind it stops taking bursts, and so reading, until the room
/// gives it its turn), answers commands, sends heartbeats when the hello asked for them, and when
/// the messages end leaves the room, lets what the room queued for the member reach it, and
/// closes the connection.
final class ChatMemberRelay<Transport: ChatMemberTransport>: @unchecked Sendable {
    // @unchecked: the vars below are used on `loop` only. The relay starts there (`start`
    // executes on it), and every way back in runs there: the poller calls `ready` from the
    // connection's decoder, on the loop; the room's turn callback and a counted future hop to it;
    // the heartbeat task is scheduled on it. `assertInEventLoop` checks it in debug builds.

    private let session: ChatMemberSession<Transport>
    private let member: ChatMemberSession<Transport>.Member
    private let peer: String
    private let messages: MessagePoller
    /// Ends the connection once the member has left and been flushed (``ChatMemberHandoff/close``;
    /// `nil`: the sink is closed).
    private let close: (@Sendable (_ quit: Bool) -> Void)?
    private let loop: any EventLoop

    /// What is left of the burst being relayed.
    private var steps: ArraySlice<ChatMemberSession<Transport>.Step> = []
    /// Publishing waits for the room (a turn, or the other nodes' count): no burst is taken.
    private var isWaiting = false
    private var hasEnded = false
    /// When the member was last heard from (a burst, heartbeats included).
    private var lastHeard = NIODeadline.now()
    private var heartbeats: RepeatedTask?

    init(
        session: ChatMemberSession<Transport>,
        member: ChatMemberSession<Transport>.Member,
        peer: String,
        messages: MessagePoller,
        close: (@Sendable (_ quit: Bool) -> Void)?
    ) {
        self.session = session
        self.member = member
        self.peer = peer
        self.messages = messages
        self.close = close
        self.loop = member.sink.eventLoop
    }

    private var room: ChatRoom { self.session.room }

    /// Starts relaying on the connection's event loop: `unconsumed` first (what the member's task
    /// took of a burst and did not handle), then what comes.
    func start(with unconsumed: [ByteBuffer]) {
        self.loop.execute {
            if let interval = self.member.hello?.heartbeat {
                self.sendHeartbeats(every: TimeAmount(interval))
            }
            if !unconsumed.isEmpty {
                self.take(unconsumed)
            }
            self.relay()
        }
    }

    /// Relays until the queue is empty (then the poller calls back when a burst comes), until
    /// publishing must wait, or to the end.
    private func relay() {
        self.loop.assertInEventLoop()
        while !self.isWaiting && !self.hasEnded {
            if let step = self.steps.popFirst() {
                self.perform(step)
                continue
            }
            switch self.messages.poll(orWhenReady: { self.relay() }) {
            case .messages(let batch):
                self.take(batch)
            case .end(let failure):
                self.end(failure: failure, quit: false)
            case .empty:
                return
            }
        }
    }

    private func take(_ batch: [ByteBuffer]) {
        self.lastHeard = .now()
        self.steps = self.session.steps(batch, of: self.member)[...]
    }

    private func perform(_ step: ChatMemberSession<Transport>.Step) {
        switch step {
        case .texts(let texts):
            if let burst = self.room.burst(texts, from: self.member.id) {
                self.publish(burst)
            }
        case .who:
            self.room.answerWho(self.member.id)
        case .quit:
            self.end(failure: nil, quit: true)
        }
    }

    private func publish(_ burst: ChatRoom.TextBurst) {
        let publishing = self.room.tryPublish(burst) {
            // The member's turn (or it left): try the same burst again, then go on.
            self.loop.execute {
                self.isWaiting = false
                self.publish(burst)
                self.relay()
            }
        }
        switch publishing {
        case .published:
            break
        case .counted(let counted):
            self.isWaiting = true
            counted.hop(to: self.loop).whenComplete { _ in
                self.isWaiting = false
                self.relay()
            }
        case .waiting:
            self.isWaiting = true
        }
    }

    /// A heartbeat every interval; a member not heard from for three intervals is gone.
    private func sendHeartbeats(every interval: TimeAmount) {
        self.heartbeats = self.loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { task in
            self.room.heartbeat(self.member.id)
            let silence = NIODeadline.now() - self.lastHeard
            if silence > interval * 3 {
                task.cancel()
                self.session.onEvent(
                    .failed(
                        peer: self.peer,
                        username: self.member.username,
                        error: ChatError.silent(after: .nanoseconds(silence.nanoseconds))
                    )
                )
                self.member.sink.close()
            }
        }
    }

    /// The member's messages ended (or it said /quit): it leaves, what the room queued for it
    /// still reaches it unless it has stopped reading, and its connection closes.
    private func end(failure: (any Error)?, quit: Bool) {
        guard !self.hasEnded else { return }
        self.hasEnded = true
        self.steps = []
        self.heartbeats?.cancel()
        self.heartbeats = nil
        self.session.leave(self.member, failure: failure, peer: self.peer)
        let (sink, close, onEvent, username) = (
            self.member.sink, self.close, self.session.onEvent, self.member.username
        )
        self.room.flushed(sink, within: self.room.stallTimeout).whenComplete { _ in
            if let close { close(quit) } else { sink.close() }
            onEvent(.closed(username: username))
        }
    }
}
