import Foundation
import NIOCore
import Testing
import WirePickle

struct PickleCodableTests {
    struct Message: Codable, Equatable {
        enum Kind: String, Codable { case chat, notice }
        var name: String
        var count: Int
        var tags: [String]
        var ratio: Double
        var payload: [UInt8]
        var data: Data
        var nickname: String?
        var scores: [Int: Double]
        var ids: Set<Int>
        var kind: Kind
        var huge: UInt64
        var nested: [[Int8]]
    }

    static let message = Message(
        name: "Wire",
        count: 3,
        tags: ["a", "b"],
        ratio: 0.5,
        payload: [0, 255],
        data: Data([1, 2]),
        nickname: nil,
        scores: [2: 1.5, 1: -1],
        ids: [3, 1, 2],
        kind: .notice,
        huge: .max,
        nested: [[1, -2], []]
    )

    /// The same record as a Python program would build it.
    static let python = """
        {'name': 'Wire', 'count': 3, 'tags': ['a', 'b'], 'ratio': 0.5, 'payload': b'\\x00\\xff', 'data': b'\\x01\\x02', \
        'nickname': None, 'scores': {1: -1.0, 2: 1.5}, 'ids': {1, 2, 3}, 'kind': 'notice', 'huge': 2**64 - 1, \
        'nested': [[1, -2], []]}
        """

    @Test func encodesAStructAsTheDictPythonExpects() async throws {
        let value = try PickleEncoder().pickleValue(of: Self.message)
        #expect(
            value == [
                "name": "Wire", "count": 3, "tags": ["a", "b"], "ratio": 0.5, "payload": .bytes([0, 255]),
                "data": .bytes([1, 2]), "nickname": .none, "scores": [1: -1.0, 2: 1.5], "ids": .set([1, 2, 3]),
                "kind": "notice", "huge": .big("18446744073709551615"), "nested": [[1, -2], []],
            ]
        )
        var items: [PythonInteropTests.CheckItem] = []
        for version in 2...5 {
            let encoded = try PickleEncoder(protocol: version).encode(Self.message)
            #expect(try PickleDecoder().decode(Message.self, from: encoded) == Self.message)
            items.append(.init(expression: Self.python, protocol: version, hex: Array(encoded.readableBytesView).hex))
        }
        let failures = try await PythonPeer.run(
            "check",
            PythonInteropTests.CheckRequest(items: items),
            as: [String].self
        )
        #expect(failures == [])
    }

    @Test func decodesAStructFromWhatPythonPickles() async throws {
        let dumped = try await PythonInteropTests.dumped([InteropCase(.none, Self.python)])
        for hex in try #require(dumped.first).pickles {
            let bytes = try #require([UInt8](hex: hex))
            #expect(try PickleDecoder().decode(Message.self, from: bytes) == Self.message)
        }
    }

    @Test func dictionariesOfAnyKeyAreDictsAndComeOutSorted() throws {
        #expect(
            try PickleEncoder().pickleValue(of: [3: "c", 1: "a", 2: "b"])
                == .dict([(key: 1, value: "a"), (key: 2, value: "b"), (key: 3, value: "c")])
        )
        let sorted = try PickleEncoder().pickleValue(of: ["b": 1, "a": 2])
        #expect(sorted.pythonRepr == "{'a': 2, 'b': 1}")
        let bytesKeys = try PickleEncoder().pickleValue(of: [UInt8(7): true])
        #expect(bytesKeys == [7: true])
        #expect(try PickleDecoder().decode([UInt8: Bool].self, fromValue: [7: true]) == [7: true])
        #expect(try PickleDecoder().decode([String: Int].self, fromValue: ["a": 1]) == ["a": 1])
        #expect(try PickleEncoder().pickleValue(of: Set(["b", "a"])) == .set(["a", "b"]))
    }

    @Test func optionalsAreNone() throws {
        #expect(try PickleEncoder().pickleValue(of: Int?.none) == .none)
        #expect(try PickleEncoder().pickleValue(of: [1, nil, 3] as [Int?]) == [1, .none, 3])
        #expect(try PickleDecoder().decode([Int?].self, fromValue: [1, .none]) == [1, nil])
        #expect(try PickleDecoder().decode(String?.self, fromValue: .none) == nil)
        struct Sparse: Codable, Equatable { var a: Int? }
        #expect(try PickleDecoder().decode(Sparse.self, fromValue: [:]) == Sparse(a: nil))
        #expect(try PickleDecoder().decode(Sparse.self, fromValue: ["a": .none]) == Sparse(a: nil))
        #expect(try PickleEncoder().pickleValue(of: Sparse(a: nil)) == ["a": .none])
    }

    @Test func bytesDecodeAsBytesOrAsAListOfInts() throws {
        #expect(try PickleDecoder().decode([UInt8].self, fromValue: .bytes([1, 2])) == [1, 2])
        #expect(try PickleDecoder().decode([UInt8].self, fromValue: .bytearray([1, 2])) == [1, 2])
        #expect(try PickleDecoder().decode([UInt8].self, fromValue: [1, 2]) == [1, 2])
        #expect(try PickleDecoder().decode(Data.self, fromValue: .bytes([9])) == Data([9]))
        #expect(try PickleDecoder().decode(ByteBuffer.self, fromValue: .bytes([9])) == ByteBuffer(bytes: [9]))
        #expect(try PickleEncoder().pickleValue(of: ByteBuffer(bytes: [9])) == .bytes([9]))
        #expect(try PickleDecoder().decode([Int].self, fromValue: .tuple([1, 2])) == [1, 2])
        #expect(try PickleDecoder().decode(Set<Int>.self, fromValue: .frozenset([1, 2])) == [1, 2])
    }

    @Test func mismatchesAreDecodingErrors() throws {
        #expect(throws: DecodingError.self) { try PickleDecoder().decode(Int.self, fromValue: "1") }
        #expect(throws: DecodingError.self) { try PickleDecoder().decode(Int8.self, fromValue: 300) }
        #expect(throws: DecodingError.self) { try PickleDecoder().decode(UInt.self, fromValue: -1) }
        #expect(throws: DecodingError.self) { try PickleDecoder().decode(Int.self, fromValue: true) }
        #expect(throws: DecodingError.self) { try PickleDecoder().decode(Message.self, fromValue: ["name": "x"]) }
        #expect(throws: DecodingError.self) { try PickleDecoder().decode([Int].self, fromValue: [1: 2]) }
        #expect(try PickleDecoder().decode(Double.self, fromValue: 2) == 2.0)
        #expect(try PickleDecoder().decode(UInt64.self, fromValue: .big("18446744073709551615")) == .max)
        #expect(try PickleDecoder().decode(PickleValue.self, fromValue: [1: [2]]) == [1: [2]])
    }

    @Test func pickleValueCodesOnlyWithPickleCoders() throws {
        #expect(throws: EncodingError.self) { try JSONEncoder().encode(PickleValue.int(1)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PickleValue.self, from: Data("1".utf8)) }
        struct Holder: Codable, Equatable { var extra: PickleValue }
        let holder = Holder(extra: .tuple([1, .bytes([2])]))
        let encoded = try PickleEncoder().encode(holder)
        #expect(try PickleDecoder().decode(Holder.self, from: encoded) == holder)
    }
}
