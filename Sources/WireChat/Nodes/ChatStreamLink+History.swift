import Logging
import NIOCore
import WireNATS

/// The room's past, read back from its stream: the history a restarted node gives newcomers,
/// and what a member that comes back missed when this node's log no longer has it.
extension ChatStreamLink {
    /// Stream messages one resume reads at most (one request each).
    static let olderReadLimit = 10_000

    /// The room's last texts, for newcomers and for members that come back: read from the end of
    /// the stream back, with their positions.
    func rememberHistory(upTo state: JetStreamStreamInfo.State) async throws {
        let wanted = self.room.logSize
        guard wanted > 0, state.lastSequence > 0 else { return }
        var records: [(name: String, text: ByteBuffer, position: ChatPosition?)] = []
        var sequence = state.lastSequence
        while records.count < wanted, sequence >= max(1, state.firstSequence) {
            if let message = try await self.jetStream.storedMessage(
                stream: self.configuration.streamName,
                sequence: sequence
            ),
                let batch = ChatStreamBatch.decode(message.payload)
            {
                let positioned = batch.enumerated().map { index, record in
                    (
                        record.name, record.text,
                        ChatPosition(major: sequence, minor: UInt32(truncatingIfNeeded: index)) as ChatPosition?
                    )
                }
                records.insert(contentsOf: positioned, at: 0)
            }
            sequence -= 1
        }
        self.room.rememberStreamed(Array(records.suffix(wanted)))
    }

    /// The records after `position` and before `before`, read from the stream back from
    /// `before`'s batch, at most ``olderReadLimit`` batches and ``ChatLog/maximumBytes``: the
    /// newest of what a member missed when there is more. `lost` says what is not there: older
    /// batches the stream no longer keeps (or could not be read now), or too many to replay.
    func readOlder(
        after position: ChatPosition,
        before: ChatPosition
    ) async -> (
        records: [(name: String, text: ByteBuffer, position: ChatPosition)], lost: ChatLog.Lost?
    ) {
        var batches: [[(name: String, text: ByteBuffer, position: ChatPosition)]] = []
        var bytes = 0
        var sequence = before.major
        var lost: ChatLog.Lost?
        while sequence >= max(position.major, 1) {
            if batches.count == Self.olderReadLimit || bytes > ChatLog.maximumBytes {
                lost = .tooMany
                break
            }
            let message: JetStreamStoredMessage?
            do {
                message = try await self.jetStream.storedMessage(
                    stream: self.configuration.streamName,
                    sequence: sequence
                )
            } catch {
                self.logger.warning(
                    "could not read the room's stream for a member coming back",
                    metadata: ["error": "\(error)"]
                )
                lost = .unknown
                break
            }
            // The stream removes its oldest first: nothing before this one is left either.
            guard let message else {
                lost = .unknown
                break
            }
            if let batch = ChatStreamBatch.decode(message.payload) {
                var records: [(name: String, text: ByteBuffer, position: ChatPosition)] = []
                for (index, record) in batch.enumerated() {
                    let at = ChatPosition(major: sequence, minor: UInt32(truncatingIfNeeded: index))
                    guard at > position, at < before else { continue }
                    records.append((record.name, record.text, at))
                    bytes += record.name.utf8.count + record.text.readableBytes
                }
                batches.append(records)
            }
            sequence -= 1
        }
        return (batches.reversed().flatMap { $0 }, lost)
    }
}
