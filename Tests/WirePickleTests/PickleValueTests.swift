import Testing
import WirePickle

extension PickleValue {
    static func big(_ decimal: String) -> PickleValue {
        guard let value = PickleBigInt(decimal) else { return .none }
        return .integer(value)
    }
}

struct PickleValueTests {
    @Test func bigIntsConvertBetweenBytesDecimalAndInt() throws {
        let cases: [(String, [UInt8])] = [
            ("0", []), ("1", [0x01]), ("-1", [0xFF]), ("127", [0x7F]), ("128", [0x80, 0x00]), ("-128", [0x80]),
            ("255", [0xFF, 0x00]), ("-129", [0x7F, 0xFF]), ("1180591620717411303424", [0, 0, 0, 0, 0, 0, 0, 0, 0x40]),
            ("-1180591620717411303424", [0, 0, 0, 0, 0, 0, 0, 0, 0xC0]),
            ("9223372036854775808", [0, 0, 0, 0, 0, 0, 0, 0x80, 0x00]),
            ("-9223372036854775808", [0, 0, 0, 0, 0, 0, 0, 0x80]),
        ]
        for (decimal, bytes) in cases {
            let value = try #require(PickleBigInt(decimal))
            #expect(value.twosComplementBytes == bytes, "\(decimal)")
            #expect(value.description == decimal)
            #expect(
                PickleBigInt(twosComplementLittleEndian: bytes + [bytes.last.map { $0 & 0x80 != 0 ? 0xFF : 0 } ?? 0])
                    == value
            )
        }
        #expect(PickleBigInt(Int.min).description == "-9223372036854775808")
        #expect(PickleBigInt(UInt64.max).description == "18446744073709551615")
        #expect(PickleBigInt(UInt64.max).intValue == nil)
        #expect(PickleBigInt(-5).intValue == -5)
        #expect(PickleBigInt("+7")?.intValue == 7)
        #expect(PickleBigInt("-0")?.twosComplementBytes == [])
        #expect(PickleBigInt("12a") == nil)
        #expect(PickleBigInt("") == nil)
        let huge = "-" + String(repeating: "9876543210", count: 50)
        #expect(PickleBigInt(huge)?.description == huge)
    }

    @Test func integersCompareEqualWhicheverCaseHoldsThem() throws {
        let big = PickleValue.bigInt(PickleBigInt(42))
        #expect(big == .int(42))
        #expect(Set([big, PickleValue.int(42)]).count == 1)
        #expect(PickleValue.integer(PickleBigInt(42)) == .int(42))
        if case .int = PickleValue.integer(PickleBigInt(42)) {} else { Issue.record("a small integer is an .int") }
        #expect(PickleValue.big("18446744073709551616") != .int(0))
    }

    @Test func equalityFollowsPythonForDictsAndSetsAndBitsForFloats() {
        #expect(PickleValue.dict([(key: 1, value: "a"), (key: 2, value: "b")]) == [2: "b", 1: "a"])
        #expect(PickleValue.dict([(key: 1, value: "a")]) != [1: "b"])
        #expect(PickleValue.set([1, 2, 3]) == .set([3, 1, 2]))
        #expect(PickleValue.set([1, 2]) != .frozenset([1, 2]))
        #expect(PickleValue.set([1, 2]).hashValue == PickleValue.set([2, 1]).hashValue)
        #expect(
            PickleValue.dict([(key: 1, value: "a"), (key: 2, value: "b")]).hashValue
                == ([2: "b", 1: "a"] as PickleValue).hashValue
        )
        #expect(PickleValue.float(.nan) == .float(.nan))
        #expect(PickleValue.float(0.0) != .float(-0.0))
        #expect(PickleValue.bool(true) != .int(1))
        #expect(PickleValue.list([1]) != .tuple([1]))
        #expect(PickleValue.bytes([1]) != .bytearray([1]))
    }

    @Test func knowsWhatPythonCanHash() {
        #expect(PickleValue.tuple([1, "a", .frozenset([2])]).isHashable)
        #expect(!PickleValue.tuple([1, []]).isHashable)
        #expect(!PickleValue.bytearray([]).isHashable)
        #expect(!PickleValue.set([]).isHashable)
        #expect(PickleValue.dict([]).typeName == "dict")
        #expect(PickleValue.none.typeName == "NoneType")
    }

    @Test(.timeLimit(.minutes(1)))
    func deeplyNestedDictsAndSetsCompareAndHashInLinearTime() {
        // Comparing in order first and then as Python does recursed twice per level: 2^200 steps.
        var dictA: PickleValue = 1
        var dictB: PickleValue = 2
        var setA: PickleValue = .frozenset([1])
        var setB: PickleValue = .frozenset([2])
        for _ in 0..<200 {
            dictA = ["k": dictA, "j": 0]
            dictB = ["k": dictB, "j": 0]
            setA = .frozenset([setA, 0])
            setB = .frozenset([0, setB])
        }
        #expect(dictA != dictB)
        #expect(setA != setB)
        #expect(dictA == dictA)
        #expect(Set([setA, setA, setB]).count == 2)
        #expect(Set([dictA, dictA, dictB]).count == 2)
    }
}
