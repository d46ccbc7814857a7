import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes the CLI's human output straight to a file descriptor, one whole line at a time, so lines
/// from concurrent connections never interleave and each is visible at once.
final class Output: Sendable {
    static let standardOutput = Output(descriptor: STDOUT_FILENO)
    static let standardError = Output(descriptor: STDERR_FILENO)

    private let descriptor: Int32
    private let lock = Mutex(())

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Writes `text` and a newline.
    func line(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.append(UInt8(ascii: "\n"))
        self.write(bytes)
    }

    /// Writes `text` as it is, without a newline.
    func write(_ text: String) {
        self.write(Array(text.utf8))
    }

    /// Writes the bytes of `message` and a newline.
    func line(_ message: ByteBuffer) {
        var bytes = Array(message.readableBytesView)
        bytes.append(UInt8(ascii: "\n"))
        self.write(bytes)
    }

    /// Writes the bytes of `buffer` exactly as they are.
    func write(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { self.write(raw: $0) }
    }

    private func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.write(raw: $0) }
    }

    private func write(raw: UnsafeRawBufferPointer) {
        guard let base = raw.baseAddress else { return }
        self.lock.withLock { _ in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(self.descriptor, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}

/// Escapes a string so that it prints as exactly one line.
func escapedLine(_ text: String) -> String {
    escapedLine(ByteBuffer(string: text))
}

/// Escapes a message so that it prints as exactly one line: control characters, backslashes and
/// bytes that are not UTF-8 become `\n`, `\\`, `\x1b` and so on.
func escapedLine(_ message: ByteBuffer) -> String {
    let bytes = message.readableBytesView
    guard let text = String(validating: bytes, as: UTF8.self) else {
        return bytes.map { byte in
            (0x20..<0x7F).contains(byte) && byte != UInt8(ascii: "\\")
                ? String(UnicodeScalar(byte)) : escapedByte(byte)
        }.joined()
    }
    var line = ""
    for scalar in text.unicodeScalars {
        switch scalar.value {
        case 0x5C: line += "\\\\"
        case 0x0A: line += "\\n"
        case 0x0D: line += "\\r"
        case 0x09: line += "\\t"
        case 0x00..<0x20, 0x7F: line += escapedByte(UInt8(scalar.value))
        case 0x80..<0xA0, 0x2028, 0x2029: line += "\\u{\(String(scalar.value, radix: 16))}"
        default: line.unicodeScalars.append(scalar)
        }
    }
    return line
}

private func escapedByte(_ byte: UInt8) -> String {
    switch byte {
    case UInt8(ascii: "\\"): return "\\\\"
    case UInt8(ascii: "\n"): return "\\n"
    case UInt8(ascii: "\r"): return "\\r"
    case UInt8(ascii: "\t"): return "\\t"
    default:
        let hex = String(byte, radix: 16)
        return "\\x" + (hex.count == 1 ? "0" + hex : hex)
    }
}
