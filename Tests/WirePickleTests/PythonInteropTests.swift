import NIOCore
import Testing
import WirePickle

/// Byte-for-byte and value-for-value agreement with CPython's `pickle`, run as a subprocess.
@Suite(.timeLimit(.minutes(5)))
struct PythonInteropTests {
    struct DumpRequest: Encodable { var expressions: [String] }
    struct Dumped: Decodable {
        var repr: String
        var pickles: [String]
    }
    struct CheckRequest: Encodable { var items: [CheckItem] }
    struct CheckItem: Encodable {
        var expression: String
        var `protocol`: Int
        var hex: String
    }

    static func dumped(_ cases: [InteropCase]) async throws -> [Dumped] {
        try await PythonPeer.run("dump", DumpRequest(expressions: cases.map(\.python)), as: [Dumped].self)
    }

    @Test func decodesWhatCPythonWritesAtEveryProtocolToTheSameValueAndRepr() async throws {
        let cases = InteropCases.all
        let dumped = try await Self.dumped(cases)
        try #require(dumped.count == cases.count)
        for (testCase, python) in zip(cases, dumped) {
            #expect(testCase.value.pythonRepr == python.repr, "repr of \(testCase.python)")
            for (version, hex) in python.pickles.enumerated() {
                let bytes = try #require([UInt8](hex: hex))
                let decoded = try PickleDecoder().decodeValue(from: bytes)
                #expect(decoded == testCase.value, "\(testCase.python) pickled with protocol \(version)")
                #expect(decoded.pythonRepr == python.repr, "\(testCase.python) pickled with protocol \(version)")
            }
        }
    }

    @Test func encodesTheSameBytesAsCPythonAtProtocolsTwoToFive() async throws {
        let cases = InteropCases.all
        let dumped = try await Self.dumped(cases)
        try #require(dumped.count == cases.count)
        var exactCount = 0
        for (testCase, python) in zip(cases, dumped) {
            for version in 2...5 {
                let encoded = try PickleEncoder(protocol: version).encode(testCase.value)
                let ours = Array(encoded.readableBytesView)
                let theirs = try #require([UInt8](hex: python.pickles[version]))
                if testCase.exact {
                    #expect(ours == theirs, "\(testCase.python) at protocol \(version): \(ours.hex) vs \(theirs.hex)")
                    exactCount += 1
                } else {
                    #expect(ours != theirs, "\(testCase.python) is marked inexact at protocol \(version) but matches")
                }
            }
        }
        #expect(exactCount >= 4 * (cases.count - 1))
    }

    @Test func pythonLoadsWhatWeEncodeAsTheExpectedObject() async throws {
        var items: [CheckItem] = []
        for testCase in InteropCases.all {
            for version in 2...5 {
                let encoded = try PickleEncoder(protocol: version).encode(testCase.value)
                items.append(
                    CheckItem(expression: testCase.python, protocol: version, hex: Array(encoded.readableBytesView).hex)
                )
            }
        }
        let failures = try await PythonPeer.run("check", CheckRequest(items: items), as: [String].self)
        #expect(failures == [])
    }

    @Test func theCheckerNoticesAWrongValue() async throws {
        // The checker compares types too: an int where Python expects True is a failure.
        let encoded = try PickleEncoder().encode(PickleValue.int(1))
        let item = CheckItem(expression: "True", protocol: 4, hex: Array(encoded.readableBytesView).hex)
        let failures = try await PythonPeer.run("check", CheckRequest(items: [item]), as: [String].self)
        #expect(failures.count == 1)
    }

    @Test func floatReprMatchesPythonForRandomDoubles() async throws {
        struct Request: Encodable { var bits: [String] }
        var generator = SystemRandomNumberGenerator()
        var doubles: [Double] = [
            0.1, 0.2 + 0.1, 1 / 3, 2.5e-7, 123456789.0, 1e22, 9_007_199_254_740_991, 4.35, 1e-4, 9.999999999999999e15,
        ]
        for _ in 0..<3000 {
            doubles.append(Double(bitPattern: generator.next()))
        }
        for _ in 0..<1000 {
            doubles.append(Double.random(in: -1e6...1e6, using: &generator))
        }
        for exponent in -30...30 {
            doubles.append(Double(sign: .plus, exponent: exponent * 3, significand: 1.25))
            doubles.append(Double("1e\(exponent)") ?? 0)
        }
        let bits = doubles.map { withUnsafeBytes(of: $0.bitPattern.bigEndian) { Array($0).hex } }
        let reprs = try await PythonPeer.run("floats", Request(bits: bits), as: [String].self)
        try #require(reprs.count == doubles.count)
        for (double, repr) in zip(doubles, reprs) {
            #expect(PickleValue.float(double).pythonRepr == repr, "bits \(String(double.bitPattern, radix: 16))")
        }
    }

    @Test func theTutorialsMessageDecodesAsADictionaryWithIntKeys() async throws {
        let dumped = try await Self.dumped([InteropCase([1: "hi", 2: "there"], "{1: 'hi', 2: 'there'}")])
        for hex in try #require(dumped.first).pickles {
            let buffer = ByteBuffer(bytes: try #require([UInt8](hex: hex)))
            #expect(try PickleDecoder().decode([Int: String].self, from: buffer) == [1: "hi", 2: "there"])
        }
        // And back: the dictionary's pickle is CPython's, byte for byte.
        let encoded = try PickleEncoder(protocol: 4).encode([2: "there", 1: "hi"])
        #expect(Array(encoded.readableBytesView).hex == dumped.first?.pickles[4])
    }
}
