import NIOCore

/// A batch of records as a node publishes it to the room's stream: for each record, an 8-byte
/// big-endian member identity (meaningful to its node only), then a 4-byte big-endian length and
/// the username, then a 4-byte big-endian length and the text.
enum ChatStreamBatch {
    static func encode(_ records: [ChatStreamNodeState.Record]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(records.reduce(0) { $0 + ChatStreamNodeState.size(name: $1.name, text: $1.text) })
        for record in records {
            buffer.writeInteger(record.sender.value)
            buffer.writeInteger(UInt32(truncatingIfNeeded: record.name.utf8.count))
            buffer.writeString(record.name)
            // A text is at most the room's message size, far below 4 GiB; the writer's limit says so.
            buffer.writeInteger(UInt32(truncatingIfNeeded: record.text.readableBytes))
            buffer.writeImmutableBuffer(record.text)
        }
        return buffer
    }

    /// The records of a batch, or `nil` if it is cut short or a username is not UTF-8.
    static func decode(_ batch: ByteBuffer) -> [(member: UInt64, name: String, text: ByteBuffer)]? {
        var rest = batch
        var records: [(member: UInt64, name: String, text: ByteBuffer)] = []
        while rest.readableBytes > 0 {
            guard let member = rest.readInteger(as: UInt64.self), let record = ChatRecordBatch.readRecord(from: &rest)
            else {
                return nil
            }
            records.append((member, record.name, record.text))
        }
        return records
    }
}
