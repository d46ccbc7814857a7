import CoreMetrics
import Foundation
import NIOCore
import Synchronization
@_spi(Broadcast) import Wire
import WireFraming

/// A broadcast hub: every text a member publishes goes to every other member, in the order the
/// room received it, with flow control instead of loss.
///
/// The decisions are ``ChatRoomMachine``'s, made under one lock; this class is the storage that
/// carries out its actions.
/// A burst of texts is framed once, as one buffer, and that same buffer is written to every
/// recipient (no copy per member): each event loop gets one task per burst that writes to all of
/// its members and flushes each once. A member that falls behind makes the other senders wait
/// (their sockets are not read meanwhile, so TCP slows them down); a member whose socket accepts
/// nothing for the stall timeout is evicted with a notice, and the room goes on at full speed.
public final class ChatRoom: Sendable {
    /// The username of the room's own notices; no client may take it.
    public static let serverName = "[server]"

    /// Identifies a member of the room.
    public struct MemberID: Hashable, Sendable {
        let value: UInt64
    }

    /// How the room reaches a member: its connection, and what to call when it is evicted.
    ///
    /// A class: the room hands a member's link to every broadcast's recipients and outboxes, and
    /// a copy of a class costs one retain where a struct of these fields costs five.
    final class Link: ChatRoomMemberLink, Sendable {
        let connection: any ChatMemberSink
        let onEvict: @Sendable (ChatError) -> Void
        /// Its username as the frame that starts each of its records, framed once at join.
        let nameFrame: ByteBuffer
        /// The connection, when it takes records rather than framed bytes (a browser).
        let recordSink: (any ChatRecordSink)?
        /// It sent a hello: its records carry a third frame, their position.
        let wantsPositions: Bool
        /// The session its hello named, if any.
        let session: String?
        var takesRecords: Bool { self.recordSink != nil }

        init(
            connection: any ChatMemberSink,
            onEvict: @escaping @Sendable (ChatError) -> Void,
            nameFrame: ByteBuffer,
            wantsPositions: Bool = false,
            session: String? = nil
        ) {
            self.connection = connection
            self.onEvict = onEvict
            self.nameFrame = nameFrame
            self.recordSink = connection as? any ChatRecordSink
            self.wantsPositions = wantsPositions
            self.session = session
        }
    }

    /// What waits to be written on one event loop, per member, in order.
    struct Outbox {
        var scheduled = false
        var queues: [MemberID: (link: Link, buffers: [Outgoing])] = [:]
    }

    /// The room's machine, and what the storage keeps beside it for the I/O.
    struct State {
        var machine: ChatRoomMachine<Link>
        /// Senders waiting for their turn (``waitForTurn(_:)``).
        var turns = Waiters<MemberID, Void>()
        /// Senders served on their event loops, waiting for their turn (``tryPublish(_:onTurn:)``).
        var turnCallbacks: [MemberID: @Sendable () -> Void] = [:]
        var outboxes: [ObjectIdentifier: Outbox] = [:]
        /// Where the room tells the other nodes what happens here, if it spans several.
        var outlet: (@Sendable (ChatRoomOutput) -> EventLoopFuture<Void>?)?
        /// Called once no member here is behind (the stream link reads on then).
        var onCaughtUp: (@Sendable () -> Void)?
        /// Reads what the log no longer has from the stream, for members that come back.
        var olderReader: OlderReader?
    }

    /// Writes are handed to a socket in slices of at most this many bytes, each acknowledged on its
    /// own, so that a slow reader's progress is seen even inside a large burst.
    static let progressChunk = 64 * 1024

    /// How many past texts a newcomer receives first.
    public let historySize: Int
    /// How many past texts the room keeps for members that come back.
    public let logSize: Int
    /// The position of this node's first text (see ``ChatPosition``).
    let positionBase: UInt64
    /// Whether joins and leaves are announced to the others.
    public let announcesMembership: Bool
    let framing: Framing
    let encoder: MessageEncoder
    let stallTimeout: TimeAmount
    let state: Mutex<State>
    let serverNameFrame: ByteBuffer
    /// An empty frame: the position of a notice, and all three frames of a heartbeat.
    let emptyFrame: ByteBuffer
    /// A heartbeat, the same every time: made once.
    let heartbeatPayload: Payload
    /// What the room records (members, texts, evictions, refusals, load, the link).
    let metrics: ChatMetrics

    init(configuration: ChatServerConfiguration) {
        self.metrics = ChatMetrics(
            factory: configuration.server.metricsFactory ?? MetricsSystem.factory,
            spansNodes: configuration.nats != nil
        )
        self.historySize = configuration.historySize
        self.logSize = max(configuration.historySize, configuration.resumeLogSize)
        self.announcesMembership = configuration.announcesMembership
        self.framing = configuration.server.framing
        self.encoder = MessageEncoder(framing: configuration.server.framing, maximumMessageSize: Int.max)
        self.stallTimeout = TimeAmount(configuration.stallTimeout)
        let pauseBytes = max(1, min(configuration.pauseQueuedBytes, configuration.maximumQueuedBytes / 2))
        let limits = ChatRoomState<Link>.Limits(
            pauseBytes: pauseBytes,
            resumeBytes: pauseBytes / 2,
            maximumPendingBytes: configuration.maximumQueuedBytes,
            stallTimeout: self.stallTimeout
        )
        // Positions of one node count from its start time (in microseconds since 1970), so that
        // a client that resumes after a restart is not taken for one that is up to date.
        self.positionBase = UInt64(max(1, (Date().timeIntervalSince1970 * 1_000_000).rounded()))
        self.state = Mutex(
            State(
                machine: ChatRoomMachine(
                    limits: limits,
                    historySize: self.historySize,
                    logSize: self.logSize,
                    positionBase: self.positionBase,
                    announcesMembership: self.announcesMembership
                )
            )
        )
        var nameFrame = ByteBuffer()
        Self.writeFrame(ByteBuffer(string: Self.serverName), encoder: self.encoder, into: &nameFrame)
        self.serverNameFrame = nameFrame
        var empty = ByteBuffer()
        Self.writeFrame(ByteBuffer(), encoder: self.encoder, into: &empty)
        self.emptyFrame = empty
        var heartbeat = ByteBuffer()
        for _ in 0..<3 { heartbeat.writeImmutableBuffer(empty) }
        self.heartbeatPayload = Payload(
            positioned: heartbeat,
            records: [ChatOutgoingRecord(user: "", text: ByteBuffer(), position: nil, accounted: 0)]
        )
    }

    /// The usernames online on this node, in the order they joined (``allUsernames`` adds the
    /// other nodes').
    public var usernames: [String] {
        self.state.withLock { $0.machine.members.usernames }
    }

    /// A username as the frame that starts each of that member's records.
    func nameFrame(_ name: String) -> ByteBuffer {
        var frame = ByteBuffer()
        Self.writeFrame(ByteBuffer(string: name), encoder: self.encoder, into: &frame)
        return frame
    }

    /// Answers a member's `/who` with the usernames online, here and on the other nodes.
    func answerWho(_ id: MemberID) {
        let isSplit = self.state.withLock { $0.machine.remote.isCutOff }
        let note = isSplit ? " (the other nodes are out of reach)" : ""
        self.notify(id, "online: " + self.allUsernames.joined(separator: ", ") + note)
    }

    /// Appends one record (the sender's name frame, then the text framed) to `bytes`; returns
    /// where it is, from `bytes`' reader index.
    @discardableResult
    func appendRecord(_ text: ByteBuffer, nameFrame: ByteBuffer, to bytes: inout ByteBuffer) -> Range<Int> {
        let start = bytes.writerIndex - bytes.readerIndex
        bytes.writeImmutableBuffer(nameFrame)
        Self.writeFrame(text, encoder: self.encoder, into: &bytes)
        return start..<(bytes.writerIndex - bytes.readerIndex)
    }

    static func writeFrame(_ payload: ByteBuffer, encoder: MessageEncoder, into out: inout ByteBuffer) {
        encoder.writePrefix(length: payload.readableBytes, into: &out)
        out.writeImmutableBuffer(payload)
        encoder.writeSuffix(into: &out)
    }
}

extension [ChatRoom.MemberID] {
    /// Removes `id` from identities in the order they were numbered (the order members joined),
    /// found by halving rather than by comparing every one.
    mutating func removeSorted(_ id: ChatRoom.MemberID) {
        var low = 0
        var high = self.count
        while low < high {
            let middle = (low + high) / 2
            if self[middle].value < id.value { low = middle + 1 } else { high = middle }
        }
        if low < self.count && self[low] == id { self.remove(at: low) }
    }
}
