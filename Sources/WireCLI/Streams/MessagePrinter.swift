import ArgumentParser
import Foundation
import NIOCore
import WireFraming
import WirePickle

/// How received messages are written to standard output.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Each message on one line, control characters and invalid UTF-8 escaped (`\n`, `\x1b`).
    case text
    /// The bytes exactly as they are, nothing added: for raw streams and binary data.
    case raw
    /// Each message's bytes followed by a NUL byte (for `xargs -0` and the like).
    case null
    /// Each message in the connection's own framing, so that another framed reader can take it.
    case framed
    /// One JSON object per line: `{"bytes":5,"text":"hello"}`, or `"base64"` for binary messages.
    case json
}

/// Writes received messages to an ``Output`` in an ``OutputFormat``.
struct MessagePrinter: Sendable {
    let format: OutputFormat
    let framing: Framing
    let output: Output
    var content: MessageContent? = nil

    private struct JSONRecord: Encodable {
        var bytes: Int
        var text: String?
        var base64: String?
    }

    func print(_ message: ByteBuffer) throws {
        if self.content == .pickle {
            let value = try PickleDecoder().decodeValue(from: message)
            self.output.line(self.format == .json ? pickleJSON(value) : value.pythonRepr)
            return
        }
        switch self.format {
        case .text:
            self.output.line(escapedLine(message))
        case .raw:
            self.output.write(message)
        case .null:
            var bytes = message
            bytes.writeInteger(UInt8(0))
            self.output.write(bytes)
        case .framed:
            let encoder = MessageEncoder(framing: self.framing, maximumMessageSize: Int.max)
            var bytes = ByteBuffer()
            encoder.writePrefix(length: message.readableBytes, into: &bytes)
            bytes.writeImmutableBuffer(message)
            encoder.writeSuffix(into: &bytes)
            self.output.write(bytes)
        case .json:
            self.output.line(Self.json(message))
        }
    }

    static func json(_ message: ByteBuffer) -> String {
        let view = message.readableBytesView
        var record = JSONRecord(bytes: view.count)
        if let text = String(validating: view, as: UTF8.self) {
            record.text = text
        } else {
            record.base64 = Data(view).base64EncodedString()
        }
        return jsonLine(record)
    }
}

/// One JSON object on one line, keys sorted, slashes not escaped.
func jsonLine(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Strings, numbers and dictionaries of them always encode; "{}" only if that ever changes.
    guard let data = try? encoder.encode(value) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
}
