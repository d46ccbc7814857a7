import NIOCore

/// Writes a ``PickleValue`` as CPython's `pickle.dumps` does, opcode for opcode: the same choice
/// of opcodes, the same memo (PUT or MEMOIZE after every str, bytes, container and global), the
/// same batches of 1,000 items and, for protocol 4 and up, the same frames.
///
/// CPython memoizes by object identity, which values do not have. Strings and bytes that are
/// equal to one written before are written as a memo GET, as CPython does for one string object
/// used twice (and always for literals, interned strings and one-character strings); equal tuples
/// or containers are written again, as CPython does for distinct objects. Mutable containers are
/// never shared, so Python never sees one object where the value had two.
struct PickleWriter {
    static let frameSizeTarget = 64 * 1024
    static let frameSizeMinimum = 4
    static let batchSize = 1000

    let protocolVersion: Int
    let maximumDepth: Int
    var output: ByteBuffer
    /// The frame being filled (protocol 4 and up), written to `output` once it reaches 64 KiB.
    var frame: ByteBuffer?
    var memoCount = 0
    var memoizedStrings: [String: Int] = [:]
    var memoizedBytes: [[UInt8]: Int] = [:]
    var memoizedGlobals: [String: Int] = [:]

    init(protocolVersion: Int, maximumDepth: Int, output: ByteBuffer) {
        self.protocolVersion = protocolVersion
        self.maximumDepth = maximumDepth
        self.output = output
    }

    /// Appends the whole pickle of `value`, from PROTO to STOP.
    mutating func writePickle(_ value: PickleValue) throws {
        self.output.writeBytes([Opcode.proto.rawValue, UInt8(self.protocolVersion)])
        if self.protocolVersion >= 4 {
            self.frame = ByteBuffer()
        }
        try self.save(value, depth: 0)
        self.write(Opcode.stop)
        if let frame = self.frame, frame.readableBytes > 0 {
            self.commitFrame(force: true)
        }
        self.frame = nil
    }

    // MARK: Output and frames

    mutating func write(_ opcode: Opcode) {
        self.write([opcode.rawValue])
    }

    mutating func write(_ bytes: some Collection<UInt8>) {
        if self.frame != nil {
            self.frame?.writeBytes(bytes)
        } else {
            self.output.writeBytes(bytes)
        }
    }

    mutating func write(_ opcode: Opcode, littleEndian value: UInt64, bytes count: Int) {
        var encoded = [opcode.rawValue]
        for index in 0..<count {
            encoded.append(UInt8(truncatingIfNeeded: value >> (8 * index)))
        }
        self.write(encoded)
    }

    /// Ends the current frame if it is full (or `force`), as `pickle._Framer.commit_frame` does.
    mutating func commitFrame(force: Bool) {
        guard var frame = self.frame, frame.readableBytes >= Self.frameSizeTarget || force else { return }
        if frame.readableBytes >= Self.frameSizeMinimum {
            self.output.writeInteger(Opcode.frame.rawValue)
            self.output.writeInteger(UInt64(frame.readableBytes), endianness: .little)
        }
        self.output.writeBuffer(&frame)
        self.frame = ByteBuffer()
    }

    /// A str, bytes or bytearray body of 64 KiB or more goes outside any frame, after its header.
    mutating func writeLarge(header: [UInt8], payload: some Collection<UInt8>) {
        if self.frame != nil {
            self.commitFrame(force: true)
            self.output.writeBytes(header)
            self.output.writeBytes(payload)
        } else {
            self.write(header)
            self.write(payload)
        }
    }

    // MARK: Memo

    /// Records the object just written at the next memo index.
    mutating func memoize() -> Int {
        let index = self.memoCount
        self.memoCount += 1
        if self.protocolVersion >= 4 {
            self.write(Opcode.memoize)
        } else if index < 256 {
            self.write([Opcode.binPut.rawValue, UInt8(index)])
        } else {
            self.write(Opcode.longBinPut, littleEndian: UInt64(index), bytes: 4)
        }
        return index
    }

    mutating func writeMemoGet(_ index: Int) {
        if index < 256 {
            self.write([Opcode.binGet.rawValue, UInt8(index)])
        } else {
            self.write(Opcode.longBinGet, littleEndian: UInt64(index), bytes: 4)
        }
    }
}
