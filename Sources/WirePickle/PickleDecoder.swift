public import NIOCore

/// Reads pickles, as Python's `pickle.loads` writes them for built-in data types, safely.
///
/// ```swift
/// let greeting = try PickleDecoder().decode([Int: String].self, from: buffer)  // {1: 'hi', 2: 'there'}
/// let value = try PickleDecoder().decodeValue(from: buffer)                     // any PickleValue
/// ```
///
/// A pickle is a program for a small stack machine:
///
/// ```
/// 80 04 | 95 <8-byte frame length> | 7d 94 | 28 | 4b 01 | 8c 02 "hi" 94 | 4b 02 | 8c 05 "there" 94 | 75 | 2e
/// PROTO   FRAME                      {} memo  MARK  1      'hi' memo       2      'there' memo       SETITEMS STOP
/// ```
///
/// All of protocols 0 to 5 are read for `None`, `bool`, `int`, `float`, `str`, `bytes`,
/// `bytearray`, `list`, `tuple`, `dict`, `set` and `frozenset`. Nothing a pickle names is ever
/// run: the only globals accepted are those CPython writes for these types (`_codecs.encode`,
/// `builtins.set`, `builtins.frozenset`, `builtins.bytearray`, `builtins.bytes` and
/// `copyreg._reconstructor` building one of them); any other global, and every opcode that builds
/// other objects (`BUILD`, `INST`, `OBJ`, `NEWOBJ`, `NEWOBJ_EX`, `PERSID`, `BINPERSID`, `EXT1`,
/// `EXT2`, `EXT4`, out-of-band buffers), is refused with a ``PickleError``. So is anything
/// truncated or malformed, and anything beyond the limits below, which bound memory and time.
///
/// Values have no identity: an object that the pickle shares (through its memo) becomes equal,
/// independent values. A container that contains itself, or is changed after it was put into
/// another one, has no such value and is refused. Dict keys and set elements are kept apart by
/// ``PickleValue``'s structural equality, so `1`, `1.0` and `True` stay distinct keys where Python
/// would merge them. Strings holding lone surrogates, which Swift cannot represent, are refused.
public struct PickleDecoder: Sendable {
    /// How deeply containers may nest; deeper pickles are refused. Default 1,000, as Python's
    /// recursion limit; at most 10,000.
    public var maximumDepth: Int

    /// The longest `str`, `bytes`, `bytearray` or `int` body accepted, in bytes. Default 64 MiB.
    /// A declared length is checked against this and against the bytes left before anything is read.
    public var maximumLength: Int

    /// The most a value may expand to when shared references are counted each time they occur
    /// (values, plus bytes of strings and bytes). Default 2^28. It stops a few hundred bytes of
    /// doubling references from becoming a value too large to compare, encode or print.
    public var maximumExpandedSize: Int

    /// Information for `Decodable` types, as `Decoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    /// A decoder with the given limits.
    public init(maximumDepth: Int = 1000, maximumLength: Int = 64 << 20, maximumExpandedSize: Int = 1 << 28) {
        precondition((1...10_000).contains(maximumDepth), "maximumDepth must be between 1 and 10000")
        precondition(maximumLength >= 0, "maximumLength must not be negative")
        precondition(maximumExpandedSize >= 1, "maximumExpandedSize must be positive")
        self.maximumDepth = maximumDepth
        self.maximumLength = maximumLength
        self.maximumExpandedSize = maximumExpandedSize
    }

    /// Reads the pickle that fills `buffer`'s readable bytes; bytes after its STOP are an error.
    public func decodeValue(from buffer: ByteBuffer) throws -> PickleValue {
        try buffer.withUnsafeReadableBytes { try self.decodeWhole($0) }
    }

    /// Reads the pickle that fills `bytes`; bytes after its STOP are an error.
    public func decodeValue(from bytes: [UInt8]) throws -> PickleValue {
        try bytes.withUnsafeBytes { try self.decodeWhole($0) }
    }

    /// Reads one pickle from the front of `buffer` and moves its reader index past it, leaving
    /// what follows, as `pickle.load` does on a stream. On error the reader index does not move.
    public func readValue(from buffer: inout ByteBuffer) throws -> PickleValue {
        let (value, length) = try buffer.withUnsafeReadableBytes { bytes in
            var parser = PickleParser(input: bytes, limits: self)
            return try parser.parse()
        }
        buffer.moveReaderIndex(forwardBy: length)
        return value
    }

    /// Reads the pickle that fills `buffer`'s readable bytes as a `T`.
    ///
    /// Dicts with string keys decode structs and `[String: T]`, dicts with other keys decode
    /// dictionaries such as `[Int: String]`; lists, tuples, sets and frozensets decode arrays and
    /// sets; `None` decodes `nil`; `bytes` and `bytearray` decode `[UInt8]`, `Data` and `ByteBuffer`;
    /// an `int` decodes any integer type it fits, and a `float` or `int` decodes `Double` and `Float`.
    public func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        try self.decode(type, fromValue: try self.decodeValue(from: buffer))
    }

    /// Reads the pickle that fills `bytes` as a `T`; see ``decode(_:from:)-(_,ByteBuffer)``.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try self.decode(type, fromValue: try self.decodeValue(from: bytes))
    }

    /// Converts an already decoded value to a `T`, as ``decode(_:from:)-(_,ByteBuffer)`` does.
    public func decode<T: Decodable>(_ type: T.Type, fromValue value: PickleValue) throws -> T {
        try PickleValueDecoder(value: value, codingPath: [], userInfo: self.userInfo).decode(type)
    }

    private func decodeWhole(_ bytes: UnsafeRawBufferPointer) throws -> PickleValue {
        var parser = PickleParser(input: bytes, limits: self)
        let (value, length) = try parser.parse()
        guard length == bytes.count else {
            throw PickleError.trailingBytes(bytes.count - length, at: length)
        }
        return value
    }
}
