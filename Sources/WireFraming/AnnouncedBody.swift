import NIOCore

/// What the two length-delimited decoders share: the body their header announced, taken once all
/// of it has arrived, and what an end of stream in the middle of a message means.
struct AnnouncedBody {
    /// The announced length of the body still to come; `nil` while waiting for a header.
    private(set) var length: Int?

    /// A header announced a body of `length` bytes.
    mutating func expect(_ length: Int) {
        self.length = length
    }

    /// The announced body, as a slice of `buffer`, once all of it is there.
    mutating func read(from buffer: inout ByteBuffer) -> ByteBuffer? {
        guard let length = self.length, let body = buffer.readSlice(length: length) else {
            return nil
        }
        self.length = nil
        return body
    }

    /// Throws when the stream ended inside a message: in its header (`buffered` bytes of it) or
    /// in its body (after a header of `headerBytes`).
    func checkEnd(buffered: Int, headerBytes: Int) throws(FramingError) {
        if self.length != nil {
            throw FramingError.truncatedMessage(buffered: headerBytes + buffered)
        }
        if buffered > 0 {
            throw FramingError.truncatedMessage(buffered: buffered)
        }
    }
}
