import CoreMetrics
import NIOCore
import Synchronization
import WireFraming

/// A member's texts into the room: framed once for every recipient, then delivered when no
/// member is too far behind. From a member's task (``publish(_:from:)``, which waits for its
/// turn) or from a member served on its event loop (``tryPublish(_:onTurn:)``, which never waits
/// and says when to try again).
extension ChatRoom {
    /// A burst of one member's texts, framed once for every recipient.
    struct TextBurst: Sendable {
        let sender: MemberID
        let texts: [ByteBuffer]
        /// The records framed one after the other (none in a room kept in a stream: they come
        /// back from it framed), and where each one is in `bytes`.
        let bytes: ByteBuffer
        let records: [Range<Int>]
        let streams: Bool
    }

    /// What became of an attempt to publish a burst.
    enum Publishing {
        /// Delivered (or dropped: the sender has left the room).
        case published
        /// Delivered; the other nodes count it against their credit once `counted` completes,
        /// and the sender's next burst waits for that (so that it waits when the window is full).
        case counted(EventLoopFuture<Void>)
        /// Another member is too far behind: nothing was delivered; `onTurn` is called when the
        /// sender may try again (or has left).
        case waiting
    }

    /// Frames `texts` from `sender` for every recipient; `nil` if there are none or the sender
    /// has left the room.
    func burst(_ texts: [ByteBuffer], from sender: MemberID) -> TextBurst? {
        guard !texts.isEmpty else { return nil }
        let found = self.state.withLock { state in
            state.machine.members.members[sender].map { (state.machine.streamsTexts, $0.link.nameFrame) }
        }
        guard let (streams, nameFrame) = found else { return nil }
        self.metrics.textsReceived.increment(by: texts.count)
        var bytes = ByteBuffer()
        var records: [Range<Int>] = []
        if !streams {
            // Framed once for every recipient; in a room kept in a stream, they come back framed.
            var size = 0
            for text in texts {
                size +=
                    nameFrame.readableBytes + text.readableBytes + self.encoder.overhead(forLength: text.readableBytes)
            }
            bytes.reserveCapacity(size)
            for text in texts {
                records.append(self.appendRecord(text, nameFrame: nameFrame, to: &bytes))
            }
        }
        return TextBurst(sender: sender, texts: texts, bytes: bytes, records: records, streams: streams)
    }

    /// Relays `texts` from `sender` to every other member, each as two frames (username, text),
    /// framed once for all of them. Waits while another member is too far behind; returns at once,
    /// dropping the texts, if the sender has left the room or its task is cancelled.
    func publish(_ texts: [ByteBuffer], from sender: MemberID) async {
        guard let burst = self.burst(texts, from: sender) else { return }
        while !Task.isCancelled {
            switch self.tryPublish(burst, onTurn: nil) {
            case .published:
                return
            case .counted(let counted):
                try? await counted.get()
                return
            case .waiting:
                await self.waitForTurn(sender)
            }
        }
    }

    /// Delivers `burst` now if no member is too far behind. Otherwise the sender is marked
    /// waiting, and `onTurn` (if given) is called once when it may try again: from the thread
    /// that let it, so it must hop to the sender's own event loop.
    func tryPublish(_ burst: TextBurst, onTurn: (@Sendable () -> Void)?) -> Publishing {
        let sender = burst.sender
        let (done, outlet) = self.withWork { state, work -> (Bool, Outlet?) in
            guard let member = state.machine.members.members[sender] else { return (true, nil) }
            guard state.machine.mayPublish(sender) else {
                // Under the lock that marked it waiting: the turn cannot come in between.
                if let onTurn { state.turnCallbacks[sender] = onTurn }
                return (false, nil)
            }
            if !burst.streams {
                self.deliver(
                    burst.bytes,
                    records: burst.records,
                    sources: { burst.texts.map { (member.name, $0) } },
                    excluding: sender,
                    in: &state,
                    work: &work
                )
            }
            return (true, state.outlet.map { Outlet(send: $0, name: member.name) })
        }
        guard done else { return .waiting }
        // Outside the lock, from the sender alone: its texts reach the other nodes in order.
        if let outlet, let counted = outlet.send(.texts(name: outlet.name, texts: burst.texts, sender: sender)) {
            return .counted(counted)
        }
        return .published
    }
}
