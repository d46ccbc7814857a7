public import NIOCore
public import Wire
import WirePickle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How a `Codable` value becomes one message and back: JSON, or a Python pickle (the sockets
/// tutorial's part 3).
///
/// ```swift
/// try await connection.send(["1": "hi"], as: .json)
/// for try await value in connection.messages.decoded(as: [Int: String].self, .pickle) { print(value) }
/// ```
public struct MessageEncoding: Sendable, Hashable, CustomStringConvertible {
    private enum Kind: Hashable {
        case json
        case pickle(protocolVersion: Int)
    }

    private let kind: Kind

    /// JSON, with Foundation's coders: what peers in any language read.
    public static let json = MessageEncoding(kind: .json)

    /// A Python pickle at protocol 4, as `pickle.dumps` writes by default; read at any protocol.
    public static let pickle = MessageEncoding(kind: .pickle(protocolVersion: 4))

    /// A Python pickle written at `protocolVersion` (2 to 5).
    public static func pickle(protocol protocolVersion: Int) -> MessageEncoding {
        precondition((2...5).contains(protocolVersion), "pickle protocol must be 2 to 5, got \(protocolVersion)")
        return MessageEncoding(kind: .pickle(protocolVersion: protocolVersion))
    }

    public var description: String {
        switch self.kind {
        case .json: return "json"
        case .pickle(let version): return "pickle (protocol \(version))"
        }
    }

    /// The message that carries `value`.
    public func encode<Value: Encodable>(_ value: Value) throws -> ByteBuffer {
        switch self.kind {
        case .json:
            return ByteBuffer(bytes: try JSONEncoder().encode(value))
        case .pickle(let version):
            return try PickleEncoder(protocol: version).encode(value)
        }
    }

    /// The value a message carries. Pickles are read safely: anything but plain data is refused
    /// with a `PickleError`, and nothing is executed.
    public func decode<Value: Decodable>(_ type: Value.Type, from message: ByteBuffer) throws -> Value {
        switch self.kind {
        case .json:
            return try JSONDecoder().decode(type, from: Data(message.readableBytesView))
        case .pickle:
            return try PickleDecoder().decode(type, from: message)
        }
    }
}

extension WireConnection {
    /// Sends `value` as one message, encoded as `encoding` says.
    public func send<Value: Encodable>(_ value: Value, as encoding: MessageEncoding) async throws {
        try await self.send(try encoding.encode(value))
    }
}

extension IncomingMessages {
    /// The peer's messages decoded as `type`; a message that does not decode ends the sequence
    /// with the decoder's error.
    public func decoded<Value: Decodable>(as type: Value.Type, _ encoding: MessageEncoding) -> DecodedMessages<Value> {
        DecodedMessages(base: self, encoding: encoding)
    }
}

/// A connection's messages as `Decodable` values.
public struct DecodedMessages<Value: Decodable>: AsyncSequence {
    public typealias Element = Value

    let base: IncomingMessages
    let encoding: MessageEncoding

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), encoding: self.encoding)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: IncomingMessages.AsyncIterator
        let encoding: MessageEncoding

        public mutating func next() async throws -> Value? {
            guard let message = try await self.base.next() else { return nil }
            return try self.encoding.decode(Value.self, from: message)
        }
    }
}

extension DecodedMessages: Sendable where Value: Sendable {}
