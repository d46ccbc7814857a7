public import NIOCore

/// Writes values as pickles that Python's `pickle.loads` reads, byte for byte as CPython's
/// `pickle.dumps` writes the same data where values can say what Python objects do.
///
/// ```swift
/// var buffer = try PickleEncoder().encode([1: "hi", 2: "there"])  // pickle.dumps({1: 'hi', 2: 'there'})
/// let bytes = try PickleEncoder(protocol: 2).encode(PickleValue.bytes([0, 255]))
/// ```
///
/// Protocol 4 is the default, as in Python 3.8 and later; protocols 2 to 5 are written. Protocol 2
/// writes bytes as `_codecs.encode(text, 'latin1')` as CPython does; protocol 3 and up use BINBYTES.
/// Protocol 4 and up group opcodes in FRAMEs. Protocol 5 writes BYTEARRAY8.
///
/// `Encodable` values map to Python's types: structs and `[String: T]` become dicts with string
/// keys; other dictionaries (`[Int: String]`) dicts with keys of their own type; arrays lists;
/// `Set`s sets; `nil` `None`; `[UInt8]`, `Data` and `ByteBuffer` bytes; integers ints of any size;
/// `Double` and `Float` floats; a ``PickleValue`` itself. Dictionaries and sets, which have no
/// order of their own, are written in sorted order so that the output is the same every time.
public struct PickleEncoder: Sendable {
    /// The pickle protocol written, from 2 to 5. Default 4.
    public var protocolVersion: Int

    /// How deeply containers may nest; a deeper value throws ``PickleError``. Default 1,000, the
    /// depth that ``PickleDecoder`` accepts.
    public var maximumDepth: Int

    /// Information for `Encodable` types, as `Encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    /// An encoder writing pickle protocol `protocol`, from 2 to 5.
    public init(protocol: Int = 4, maximumDepth: Int = 1000) {
        precondition((2...5).contains(`protocol`), "pickle protocol must be from 2 to 5")
        precondition(maximumDepth >= 1, "maximumDepth must be positive")
        self.protocolVersion = `protocol`
        self.maximumDepth = maximumDepth
    }

    /// The pickle of `value`, from PROTO to STOP.
    public func encode<T: Encodable>(_ value: T) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try self.encode(value, into: &buffer)
        return buffer
    }

    /// Appends the pickle of `value` to `buffer`.
    public func encode<T: Encodable>(_ value: T, into buffer: inout ByteBuffer) throws {
        let pickleValue = try self.pickleValue(of: value)
        let start = buffer.writerIndex
        var writer = PickleWriter(
            protocolVersion: self.protocolVersion,
            maximumDepth: self.maximumDepth,
            output: buffer
        )
        // Hand the buffer over, so that the writer's appends do not copy it.
        buffer = ByteBuffer()
        do {
            try writer.writePickle(pickleValue)
        } catch {
            writer.output.moveWriterIndex(to: start)  // Leave the caller's bytes as they were.
            buffer = writer.output
            throw error
        }
        buffer = writer.output
    }

    /// The ``PickleValue`` that `value` is written as.
    public func pickleValue<T: Encodable>(of value: T) throws -> PickleValue {
        let slot = PickleValueEncoder.Slot()
        try PickleValueEncoder(slot: slot, codingPath: [], userInfo: self.userInfo).box(value)
        return slot.finished()
    }
}
