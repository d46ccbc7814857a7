import NIOCore

/// Records as one node of a room sends them to the others over NATS, whatever framing each node's
/// clients use: for each record, a 4-byte big-endian length and the username, then a 4-byte
/// big-endian length and the text (docs/PROTOCOLS.md, "Many nodes").
enum ChatRecordBatch {
    /// Bytes a record takes beyond its username and text.
    static let overhead = 8

    /// The texts of one sender as batches of at most `limit` bytes each; a record that does not fit
    /// a batch alone is returned in `tooLarge` instead.
    static func encode(name: String, texts: [ByteBuffer], limit: Int) -> (batches: [ByteBuffer], tooLarge: [Int]) {
        let nameBytes = name.utf8.count
        // Lengths are written in 4 bytes: whatever limit the NATS server announces, no record
        // over 4 GiB goes into a batch (it would not fit its length).
        let limit = min(limit, Int(UInt32.max))
        var batches: [ByteBuffer] = []
        var tooLarge: [Int] = []
        var current = ByteBuffer()
        for text in texts {
            let size = Self.overhead + nameBytes + text.readableBytes
            guard size <= limit else {
                tooLarge.append(text.readableBytes)
                continue
            }
            if current.readableBytes + size > limit {
                batches.append(current)
                current = ByteBuffer()
            }
            if current.readableBytes == 0 {
                current.reserveCapacity(
                    min(limit, texts.reduce(0) { $0 + Self.overhead + nameBytes + $1.readableBytes })
                )
            }
            current.writeInteger(UInt32(nameBytes))
            current.writeString(name)
            current.writeInteger(UInt32(text.readableBytes))
            current.writeImmutableBuffer(text)
        }
        if current.readableBytes > 0 {
            batches.append(current)
        }
        return (batches, tooLarge)
    }

    /// The records of a batch, or `nil` if it is cut short or a username is not UTF-8.
    static func decode(_ batch: ByteBuffer) -> [(name: String, text: ByteBuffer)]? {
        var rest = batch
        var records: [(name: String, text: ByteBuffer)] = []
        while rest.readableBytes > 0 {
            guard let record = Self.readRecord(from: &rest) else { return nil }
            records.append(record)
        }
        return records
    }

    /// One record (a length and the username, a length and the text) from the front of `buffer`,
    /// or `nil` if it is cut short or the username is not UTF-8. The stream's batches
    /// (``ChatStreamBatch``) write their records the same way, after the member's identity.
    static func readRecord(from buffer: inout ByteBuffer) -> (name: String, text: ByteBuffer)? {
        guard let nameLength = buffer.readInteger(as: UInt32.self),
            let nameBytes = buffer.readSlice(length: Int(nameLength)),
            let name = String(validating: nameBytes.readableBytesView, as: UTF8.self),
            let textLength = buffer.readInteger(as: UInt32.self),
            let text = buffer.readSlice(length: Int(textLength))
        else {
            return nil
        }
        return (name, text)
    }
}
