import ArgumentParser
import Foundation
import NIOCore
import WirePickle

/// What received messages are, when they are more than bytes.
enum MessageContent: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Python pickles: printed as Python's repr() prints the object (with --json, as JSON).
    case pickle
}

/// What sent messages are made from, when not the bytes typed.
enum MessageSource: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Each text is a Python literal (JSON reads too), sent as its pickle.
    case pickle
}

/// The flags that turn Python objects into messages and back (the tutorial's part 3).
struct PickleOptions: ParsableArguments {
    @Option(
        help:
            "Decode every message received: pickle (printed as Python's repr() prints the object; --json for JSON). Refused pickles (anything but plain data) are an error; nothing is executed."
    )
    var decode: MessageContent?

    @Option(
        help:
            "Encode every text sent: pickle (each text is a Python literal such as \"{1: 'hi', 2: 'there'}\"; JSON reads too)."
    )
    var encode: MessageSource?

    @Option(help: "Pickle protocol to write with --encode pickle: 2 to 5.")
    var pickleProtocol = 4

    func validate() throws {
        guard (2...5).contains(self.pickleProtocol) else {
            throw ValidationError("--pickle-protocol must be 2, 3, 4 or 5; got \(self.pickleProtocol).")
        }
    }

    /// `text` as the message to send: its pickle with --encode pickle, its UTF-8 bytes otherwise.
    func message(from text: String) throws -> ByteBuffer {
        guard self.encode == .pickle else { return ByteBuffer(string: text) }
        return try self.pickle(text)
    }

    /// `bytes` (a line of standard input) as the message to send.
    func message(from bytes: ByteBuffer) throws -> ByteBuffer {
        guard self.encode == .pickle else { return bytes }
        return try self.pickle(String(decoding: bytes.readableBytesView, as: UTF8.self))
    }

    private func pickle(_ literal: String) throws -> ByteBuffer {
        let value = try PickleValue(pythonLiteral: literal)
        return try PickleEncoder(protocol: self.pickleProtocol).encode(value)
    }
}

/// A Python object as JSON, as `json.dumps` would write it where it can: dict keys that are not
/// strings become their repr (`1` becomes `"1"`), bytes become `{"base64": ...}`, tuples and sets
/// become arrays, and a float that JSON cannot carry becomes its repr as a string.
func pickleJSON(_ value: PickleValue) -> String {
    switch value {
    case .none: return "null"
    case .bool(let flag): return flag ? "true" : "false"
    case .int(let number): return String(number)
    case .bigInt(let number): return number.description
    case .float(let number): return number.isFinite ? value.pythonRepr : jsonLine(value.pythonRepr)
    case .string(let text): return jsonLine(text)
    case .bytes(let bytes), .bytearray(let bytes):
        return "{\"base64\":" + jsonLine(Data(bytes).base64EncodedString()) + "}"
    case .list(let items), .tuple(let items), .set(let items), .frozenset(let items):
        return "[" + items.map(pickleJSON).joined(separator: ",") + "]"
    case .dict(let pairs):
        let fields = pairs.map { pair -> String in
            let key: String
            if case .string(let text) = pair.key { key = text } else { key = pair.key.pythonRepr }
            return jsonLine(key) + ":" + pickleJSON(pair.value)
        }
        return "{" + fields.joined(separator: ",") + "}"
    }
}
