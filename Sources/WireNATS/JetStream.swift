import Foundation
public import NIOCore

/// JetStream, NATS's persistence layer, through a ``NATSClient``: streams that keep messages on
/// disk (or in memory), publishes the server acknowledges, and consumers that read a stream in
/// order from any position.
///
/// ```swift
/// let js = JetStream(client: nats)
/// _ = try await js.createOrUpdateStream(JetStreamStreamConfiguration(name: "ORDERS", subjects: ["orders.>"]))
/// let ack = try await js.publish(ByteBuffer(string: "one"), to: "orders.new", messageID: "order-1")
/// for try await message in try await js.orderedConsumer(stream: "ORDERS", from: .all) {
///     print(message.streamSequence, String(buffer: message.payload))
/// }
/// ```
///
/// Every call is a request on `$JS.API`; errors are ``JetStreamError`` (the server refused, or has
/// no JetStream) or ``NATSClientError`` (the connection).
public struct JetStream: Sendable {
    public let client: NATSClient
    /// How long one API request may wait for its answer.
    public var requestTimeout: Duration

    public init(client: NATSClient, requestTimeout: Duration = .seconds(5)) {
        self.client = client
        self.requestTimeout = requestTimeout
    }

    // MARK: Account

    /// Whether the server offers JetStream to this client: `false` when nobody answers on
    /// `$JS.API` (a server started without `-js`) or JetStream is off for the account.
    public func isAvailable() async throws -> Bool {
        do {
            let _: AccountInfo = try await self.api("INFO", operation: "describe the account")
            return true
        } catch let error as JetStreamError where error.isNotEnabled {
            return false
        }
    }

    struct AccountInfo: Decodable {}

    // MARK: Streams

    /// The stream named `name`, or `nil` if there is none.
    public func streamInfo(_ name: String) async throws -> JetStreamStreamInfo? {
        try Self.check(name: name)
        do {
            return try await self.api("STREAM.INFO.\(name)", operation: "describe stream \(name)")
        } catch let error as JetStreamError where error.apiErrorCode == 10059 {
            return nil
        }
    }

    /// Creates the stream, or updates it to `configuration` if it exists with another one
    /// (limits and subjects can change; storage cannot).
    public func createOrUpdateStream(_ configuration: JetStreamStreamConfiguration) async throws -> JetStreamStreamInfo
    {
        try Self.check(name: configuration.name)
        let body = try Self.json(configuration)
        do {
            return try await self.api(
                "STREAM.CREATE.\(configuration.name)",
                body: body,
                operation: "create stream \(configuration.name)"
            )
        } catch let error as JetStreamError where error.apiErrorCode == 10058 {
            return try await self.api(
                "STREAM.UPDATE.\(configuration.name)",
                body: body,
                operation: "update stream \(configuration.name)"
            )
        }
    }

    /// Deletes a stream and everything it holds; `false` if there was none.
    @discardableResult
    public func deleteStream(_ name: String) async throws -> Bool {
        try Self.check(name: name)
        do {
            let _: Success = try await self.api("STREAM.DELETE.\(name)", operation: "delete stream \(name)")
            return true
        } catch let error as JetStreamError where error.apiErrorCode == 10059 {
            return false
        }
    }

    struct Success: Decodable {}

    /// The message stored at `sequence`, or `nil` if there is none (never stored, or removed).
    public func storedMessage(stream: String, sequence: UInt64) async throws -> JetStreamStoredMessage? {
        try Self.check(name: stream)
        struct Request: Encodable { var seq: UInt64 }
        struct Reply: Decodable { var message: JetStreamStoredMessage }
        do {
            let reply: Reply = try await self.api(
                "STREAM.MSG.GET.\(stream)",
                body: try Self.json(Request(seq: sequence)),
                operation: "read message \(sequence) of stream \(stream)"
            )
            return reply.message
        } catch let error as JetStreamError where error.apiErrorCode == 10037 {
            return nil
        }
    }

    // MARK: The API

    func api<Reply: Decodable>(
        _ suffix: String,
        body: ByteBuffer = ByteBuffer(),
        operation: String
    ) async throws -> Reply {
        let reply: NATSMessage
        do {
            reply = try await self.client.request(body, to: "$JS.API." + suffix, timeout: self.requestTimeout)
        } catch let error as NATSClientError where error.isNoResponders {
            throw JetStreamError.notEnabled
        }
        return try Self.decode(Reply.self, from: reply, operation: operation)
    }

    /// Decodes an answer of the API, or throws the error it carries.
    static func decode<Reply: Decodable>(_: Reply.Type, from message: NATSMessage, operation: String) throws -> Reply {
        if message.payload.readableBytes == 0, let status = message.parsedHeaders?.status {
            if status == 503 { throw JetStreamError.notEnabled }
            throw JetStreamError.api(
                operation: operation,
                status: status,
                errorCode: 0,
                description: message.parsedHeaders?.statusDescription ?? ""
            )
        }
        let data = Data(message.payload.readableBytesView)
        let decoder = JSONDecoder()
        if let envelope = try? decoder.decode(ErrorEnvelope.self, from: data), let error = envelope.error {
            throw JetStreamError.api(
                operation: operation,
                status: error.code,
                errorCode: error.errorCode ?? 0,
                description: error.description ?? ""
            )
        }
        do {
            return try decoder.decode(Reply.self, from: data)
        } catch {
            throw JetStreamError.malformedReply(operation: operation, reply: String(decoding: data, as: UTF8.self))
        }
    }

    struct ErrorEnvelope: Decodable {
        struct APIError: Decodable {
            var code: Int
            var errorCode: Int?
            var description: String?

            enum CodingKeys: String, CodingKey {
                case code, description
                case errorCode = "err_code"
            }
        }

        var error: APIError?
    }

    static func json(_ value: some Encodable) throws -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return ByteBuffer(bytes: try encoder.encode(value))
    }

    /// Stream and consumer names: no whitespace, no `.`, `*`, `>` (they are subject tokens), no path separators.
    static func check(name: String) throws(JetStreamError) {
        guard !name.isEmpty,
            !name.utf8.contains(where: {
                $0 <= 0x20 || $0 == 0x7F
                    || [UInt8(ascii: "."), UInt8(ascii: "*"), UInt8(ascii: ">"), UInt8(ascii: "/"), UInt8(ascii: "\\")]
                        .contains($0)
            })
        else {
            throw JetStreamError.invalidName(name)
        }
    }
}

/// A message as a stream stores it, read by its sequence.
public struct JetStreamStoredMessage: Sendable, Hashable, Decodable {
    public var subject: String
    public var sequence: UInt64
    public var headers: NATSHeaders?
    public var payload: ByteBuffer

    enum CodingKeys: String, CodingKey {
        case subject, data, hdrs
        case sequence = "seq"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.subject = try container.decode(String.self, forKey: .subject)
        self.sequence = try container.decode(UInt64.self, forKey: .sequence)
        let data =
            try container.decodeIfPresent(String.self, forKey: .data).flatMap { Data(base64Encoded: $0) } ?? Data()
        self.payload = ByteBuffer(bytes: data)
        self.headers = try container.decodeIfPresent(String.self, forKey: .hdrs)
            .flatMap { Data(base64Encoded: $0) }
            .flatMap { NATSHeaders(parsing: ByteBuffer(bytes: $0)) }
    }
}
