import NIOCore
import Testing
import Wire
import WireCodable

/// Codable values over a connection, as JSON and as Python pickles.
struct MessageEncodingTests {
    struct Order: Codable, Equatable, Sendable {
        var id: Int
        var items: [String]
        var note: String?
    }

    @Test(arguments: [MessageEncoding.json, .pickle, .pickle(protocol: 2), .pickle(protocol: 5)])
    func codableValuesGoThroughAnEchoServer(encoding: MessageEncoding) async throws {
        let orders = [Order(id: 1, items: ["tea", "scones"], note: nil), Order(id: 2, items: [], note: "h\u{e9}")]
        let received = try await withServer(handler: echoHandler) { port in
            try await WireClient.withConnection(host: "127.0.0.1", port: port) { connection in
                for order in orders {
                    try await connection.send(order, as: encoding)
                }
                try await connection.finish()
                var received: [Order] = []
                for try await order in connection.messages.decoded(as: Order.self, encoding) {
                    received.append(order)
                }
                return received
            }
        }
        #expect(received == orders, "\(encoding)")
    }

    @Test func theTutorialsDictAsAPickle() throws {
        // pickle.dumps({1: "hi", 2: "there"}) at protocol 4, as CPython writes it.
        let bytes: [UInt8] = [
            0x80, 0x04, 0x95, 0x16, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7d, 0x94, 0x28, 0x4b, 0x01,
            0x8c, 0x02, 0x68, 0x69, 0x94, 0x4b, 0x02, 0x8c, 0x05, 0x74, 0x68, 0x65, 0x72, 0x65, 0x94, 0x75,
            0x2e,
        ]
        let value = try MessageEncoding.pickle.decode([Int: String].self, from: ByteBuffer(bytes: bytes))
        #expect(value == [1: "hi", 2: "there"])
        #expect(
            Array(try MessageEncoding.pickle.encode([1: "hi"] as [Int: String]).readableBytesView).starts(with: [
                0x80, 0x04,
            ])
        )
    }
}
