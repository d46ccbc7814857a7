import NIOCore
import Testing
import WirePickle

struct PickleEncoderTests {
    static let everyType: PickleValue = [
        "none": .none, "bool": [true, false], "ints": [0, 255, 256, 65536, -1, .int(Int.min), .int(Int.max)],
        "big": [.big("1267650600228229401496703205376"), .big("-1180591620717411303424")],
        "floats": [1.5, .float(-0.0), .float(.infinity), .float(.nan), 1e-300],
        "strings": ["", "hi", "é中😀", .string(String(repeating: "long ", count: 100))],
        "bytes": [.bytes([]), .bytes([0, 0xFF]), .bytes([UInt8](repeating: 7, count: 300))],
        "bytearrays": [.bytearray([]), .bytearray([1, 2])],
        "tuples": [.tuple([]), .tuple([1]), .tuple([1, 2]), .tuple([1, 2, 3]), .tuple([1, 2, 3, 4]), .tuple([[1]])],
        "sets": [.set([]), .set([1, "a", .tuple([2])]), .frozenset([]), .frozenset([3])],
        .tuple([1, "key"]): [1: [2: [3: []]]],
        "many": .list((0..<2500).map { .int($0) }),
        "large": .bytes([UInt8](repeating: 1, count: 70_000)),
    ]

    @Test(arguments: 2...5)
    func roundTripsEveryTypeAtEveryProtocol(version: Int) throws {
        let encoded = try PickleEncoder(protocol: version).encode(Self.everyType)
        #expect(encoded.getBytes(at: encoded.readerIndex, length: 2) == [0x80, UInt8(version)])
        let decoded = try PickleDecoder().decodeValue(from: encoded)
        #expect(decoded == Self.everyType)
        #expect(decoded.pythonRepr == Self.everyType.pythonRepr)
    }

    @Test func writesTheTutorialsMessageAsCPythonDoes() throws {
        let encoded = try PickleEncoder().encode([1: "hi", 2: "there"] as PickleValue)
        #expect(
            Array(encoded.readableBytesView) == [
                0x80, 0x04, 0x95, 0x16, 0, 0, 0, 0, 0, 0, 0, 0x7D, 0x94, 0x28, 0x4B, 0x01, 0x8C, 0x02, 0x68, 0x69, 0x94,
                0x4B, 0x02, 0x8C, 0x05, 0x74, 0x68, 0x65, 0x72, 0x65, 0x94, 0x75, 0x2E,
            ]
        )
    }

    @Test func writesBytesPerProtocolAsCPythonDoes() throws {
        // pickle.dumps(b'\xff', 2) and pickle.dumps(b'', 2), from CPython 3.11.
        let latin1 = try PickleEncoder(protocol: 2).encode(PickleValue.bytes([0xFF]))
        #expect(
            Array(latin1.readableBytesView) == [0x80, 0x02] + Array("c_codecs\nencode\nq\u{0}X".utf8)
                + [2, 0, 0, 0, 0xC3, 0xBF, 0x71, 0x01, 0x58, 6, 0, 0, 0] + Array("latin1".utf8)
                + [0x71, 0x02, 0x86, 0x71, 0x03, 0x52, 0x71, 0x04, 0x2E]
        )
        let empty = try PickleEncoder(protocol: 2).encode(PickleValue.bytes([]))
        #expect(Array(empty.readableBytesView) == [0x80, 0x02] + Array("c__builtin__\nbytes\nq\u{0})Rq\u{1}.".utf8))
        let binary = try PickleEncoder(protocol: 3).encode(PickleValue.bytes([0xFF]))
        #expect(Array(binary.readableBytesView) == [0x80, 0x03, 0x43, 0x01, 0xFF, 0x71, 0x00, 0x2E])
    }

    @Test func frameHeadersAppearOnlyFromProtocolFourAndForFourBytesOrMore() throws {
        #expect(
            Array(try PickleEncoder(protocol: 4).encode(PickleValue.int(1)).readableBytesView) == [
                0x80, 0x04, 0x4B, 0x01, 0x2E,
            ]
        )
        #expect(
            Array(try PickleEncoder(protocol: 3).encode(PickleValue.list([1])).readableBytesView)
                == [0x80, 0x03, 0x5D, 0x71, 0x00, 0x4B, 0x01, 0x61, 0x2E]
        )
        #expect(
            Array(try PickleEncoder(protocol: 5).encode(PickleValue.list([1])).readableBytesView)
                == [0x80, 0x05, 0x95, 0x06, 0, 0, 0, 0, 0, 0, 0, 0x5D, 0x94, 0x4B, 0x01, 0x61, 0x2E]
        )
    }

    @Test func refusesValuesPythonCouldNotLoad() throws {
        #expect(throws: PickleError.self) { try PickleEncoder().encode(PickleValue.dict([(key: [1], value: 1)])) }
        #expect(throws: PickleError.self) { try PickleEncoder().encode(PickleValue.set([.bytearray([])])) }
        #expect(throws: PickleError.self) { try PickleEncoder().encode(PickleValue.frozenset([.tuple([[1]])])) }
        // A failed encode leaves the caller's buffer as it was.
        var buffer = ByteBuffer(bytes: [1, 2, 3])
        #expect(throws: PickleError.self) { try PickleEncoder().encode(PickleValue.set([[]]), into: &buffer) }
        #expect(Array(buffer.readableBytesView) == [1, 2, 3])
        try PickleEncoder().encode(PickleValue.none, into: &buffer)
        #expect(Array(buffer.readableBytesView) == [1, 2, 3, 0x80, 0x04, 0x4E, 0x2E])
    }
}
