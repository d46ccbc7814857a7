/// A pickle that was refused or could not be read, or a value that cannot be pickled.
///
/// Every case carries the context needed to say exactly what was wrong, in one sentence:
///
/// ```
/// refused pickle: global posix.system is not allowed
/// refused pickle: opcode BUILD (0x62) is not allowed
/// pickle ends unexpectedly at offset 7
/// declared length 4611686018427387904 at offset 2 exceeds the limit of 67108864 bytes
/// ```
///
/// Decoding never runs anything a pickle names: a global outside the few that CPython writes for
/// bytes, sets, frozensets and bytearrays is refused, and so is every opcode that builds objects.
public struct PickleError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case truncated(offset: Int)
        case invalidOpcode(byte: UInt8, offset: Int)
        case refusedOpcode(name: String, byte: UInt8)
        case refusedGlobal(module: String, name: String)
        case refusedCall(String)
        case unsupportedProtocol(Int)
        case stackUnderflow(opcode: String, offset: Int)
        case missingMark(opcode: String, offset: Int)
        case missingMemo(index: Int, offset: Int)
        case wrongOperand(opcode: String, offset: Int, expected: String, found: String)
        case unhashable(role: String, type: String, offset: Int)
        case malformedArgument(opcode: String, offset: Int)
        case invalidString(offset: Int)
        case lengthExceedsLimit(declared: UInt64, offset: Int, limit: Int)
        case depthExceedsLimit(limit: Int)
        case expandedSizeExceedsLimit(limit: Int)
        case sharedContainerChanged(type: String, offset: Int)
        case trailingBytes(count: Int, offset: Int)
        case unpicklable(String)
    }

    let code: Code

    init(_ code: Code) {
        self.code = code
    }

    /// The input ended before the pickle's STOP opcode, at `offset` bytes from the pickle's start.
    public static func truncated(at offset: Int) -> PickleError {
        PickleError(.truncated(offset: offset))
    }

    /// A byte that is no pickle opcode stood where an opcode was expected.
    public static func invalidOpcode(_ byte: UInt8, at offset: Int) -> PickleError {
        PickleError(.invalidOpcode(byte: byte, offset: offset))
    }

    /// An opcode that builds or finds arbitrary objects (`BUILD`, `INST`, `NEWOBJ`...) was refused.
    public static func refusedOpcode(_ opcode: UInt8) -> PickleError {
        PickleError(.refusedOpcode(name: Opcode(rawValue: opcode)?.name ?? "?", byte: opcode))
    }

    /// A `GLOBAL` or `STACK_GLOBAL` named something outside the allowed few.
    public static func refusedGlobal(module: String, name: String) -> PickleError {
        PickleError(.refusedGlobal(module: module, name: name))
    }

    /// A `REDUCE` called an allowed global in a way that CPython never writes.
    static func refusedCall(_ what: String) -> PickleError {
        PickleError(.refusedCall(what))
    }

    /// The `PROTO` opcode named a protocol above 5.
    public static func unsupportedProtocol(_ version: Int) -> PickleError {
        PickleError(.unsupportedProtocol(version))
    }

    /// An opcode needed more values than the stack held above the last MARK.
    static func stackUnderflow(_ opcode: Opcode, at offset: Int) -> PickleError {
        PickleError(.stackUnderflow(opcode: opcode.name, offset: offset))
    }

    /// An opcode that works on the values since the last MARK found no MARK.
    static func missingMark(_ opcode: Opcode, at offset: Int) -> PickleError {
        PickleError(.missingMark(opcode: opcode.name, offset: offset))
    }

    /// A memo read (`GET`, `BINGET`, `LONG_BINGET`) named an index that nothing was stored at.
    public static func missingMemo(index: Int, at offset: Int) -> PickleError {
        PickleError(.missingMemo(index: index, offset: offset))
    }

    /// An opcode found a value of the wrong type, such as `APPEND` on something that is not a list.
    static func wrongOperand(_ opcode: Opcode, at offset: Int, expected: String, found: String) -> PickleError {
        PickleError(.wrongOperand(opcode: opcode.name, offset: offset, expected: expected, found: found))
    }

    /// A dict key or set element was of a type Python cannot hash, such as a list.
    static func unhashable(_ role: String, type: String, at offset: Int) -> PickleError {
        PickleError(.unhashable(role: role, type: type, offset: offset))
    }

    /// A protocol-0 text argument (`INT`, `FLOAT`, `STRING`, `PUT`...) was not well-formed.
    static func malformedArgument(_ opcode: Opcode, at offset: Int) -> PickleError {
        PickleError(.malformedArgument(opcode: opcode.name, offset: offset))
    }

    /// A string's bytes were not valid UTF-8 (or ASCII, for Python 2 strings).
    public static func invalidString(at offset: Int) -> PickleError {
        PickleError(.invalidString(offset: offset))
    }

    /// A declared length was above ``PickleDecoder/maximumLength``.
    public static func lengthExceedsLimit(declared: UInt64, at offset: Int, limit: Int) -> PickleError {
        PickleError(.lengthExceedsLimit(declared: declared, offset: offset, limit: limit))
    }

    /// Containers were nested deeper than the limit.
    public static func depthExceedsLimit(_ limit: Int) -> PickleError {
        PickleError(.depthExceedsLimit(limit: limit))
    }

    /// Shared references made the value larger than ``PickleDecoder/maximumExpandedSize``.
    public static func expandedSizeExceedsLimit(_ limit: Int) -> PickleError {
        PickleError(.expandedSizeExceedsLimit(limit: limit))
    }

    /// A container was changed after it was put into another one, or was put into itself.
    static func sharedContainerChanged(type: String, at offset: Int) -> PickleError {
        PickleError(.sharedContainerChanged(type: type, offset: offset))
    }

    /// Bytes followed the pickle's STOP opcode.
    public static func trailingBytes(_ count: Int, at offset: Int) -> PickleError {
        PickleError(.trailingBytes(count: count, offset: offset))
    }

    /// A value that Python could not load back, such as a dict whose key is a list.
    static func unpicklable(_ why: String) -> PickleError {
        PickleError(.unpicklable(why))
    }

    public var description: String {
        switch self.code {
        case .truncated(let offset):
            return "pickle ends unexpectedly at offset \(offset)"
        case .invalidOpcode(let byte, let offset):
            return "invalid pickle opcode \(Self.hex(byte)) at offset \(offset)"
        case .refusedOpcode(let name, let byte):
            return "refused pickle: opcode \(name) (\(Self.hex(byte))) is not allowed"
        case .refusedGlobal(let module, let name):
            return "refused pickle: global \(module).\(name) is not allowed"
        case .refusedCall(let what):
            return "refused pickle: \(what) is not allowed"
        case .unsupportedProtocol(let version):
            return "unsupported pickle protocol \(version): this decoder reads protocols 0 to 5"
        case .stackUnderflow(let opcode, let offset):
            return "opcode \(opcode) at offset \(offset) needs more values than the stack holds"
        case .missingMark(let opcode, let offset):
            return "opcode \(opcode) at offset \(offset) has no MARK to pair with"
        case .missingMemo(let index, let offset):
            return "memo index \(index) read at offset \(offset) holds nothing"
        case .wrongOperand(let opcode, let offset, let expected, let found):
            return "opcode \(opcode) at offset \(offset) expects \(expected), found \(found)"
        case .unhashable(let role, let type, let offset):
            return "\(role) of type \(type) at offset \(offset) is unhashable"
        case .malformedArgument(let opcode, let offset):
            return "opcode \(opcode) at offset \(offset) has a malformed argument"
        case .invalidString(let offset):
            return "string at offset \(offset) is not valid UTF-8"
        case .lengthExceedsLimit(let declared, let offset, let limit):
            return "declared length \(declared) at offset \(offset) exceeds the limit of \(limit) bytes"
        case .depthExceedsLimit(let limit):
            return "containers nested deeper than the limit of \(limit) levels"
        case .expandedSizeExceedsLimit(let limit):
            return "shared references expand the value beyond the limit of \(limit) values and bytes"
        case .sharedContainerChanged(let type, let offset):
            return "a \(type) is changed at offset \(offset) after it was put into a container,"
                + " which a value without identity cannot represent"
        case .trailingBytes(let count, let offset):
            return "\(count) bytes follow the pickle's STOP at offset \(offset)"
        case .unpicklable(let why):
            return "cannot pickle \(why)"
        }
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: false)
        return "0x" + (digits.count == 1 ? "0" + digits : digits)
    }
}
