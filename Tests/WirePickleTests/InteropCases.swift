import WirePickle

/// A value built in Swift beside the Python expression for the same object.
struct InteropCase: Sendable, CustomStringConvertible {
    var value: PickleValue
    var python: String
    /// Whether the encoder should write CPython's bytes exactly. Not so where CPython shares one
    /// tuple object twice through its memo: values have no identity, so the encoder writes it again.
    var exact = true

    var description: String { self.python }

    init(_ value: PickleValue, _ python: String, exact: Bool = true) {
        self.value = value
        self.python = python
        self.exact = exact
    }
}

enum InteropCases {
    static let nested: PickleValue = (0..<50).reduce(PickleValue.list([])) { inner, _ in .list([inner]) }

    static let all: [InteropCase] = [
        // Scalars.
        InteropCase(.none, "None"),
        InteropCase(true, "True"),
        InteropCase(false, "False"),
        // Ints at every opcode boundary, and big ones both ways.
        InteropCase(0, "0"),
        InteropCase(1, "1"),
        InteropCase(255, "255"),
        InteropCase(256, "256"),
        InteropCase(65535, "65535"),
        InteropCase(65536, "65536"),
        InteropCase(-1, "-1"),
        InteropCase(-5, "-5"),
        InteropCase(.int(Int(Int32.max)), "2**31 - 1"),
        InteropCase(.int(Int(Int32.max) + 1), "2**31"),
        InteropCase(.int(Int(Int32.min)), "-2**31"),
        InteropCase(.int(Int(Int32.min) - 1), "-2**31 - 1"),
        InteropCase(.int(Int.max), "2**63 - 1"),
        InteropCase(.int(Int.min), "-2**63"),
        InteropCase(.big("9223372036854775808"), "2**63"),
        InteropCase(.big("18446744073709551616"), "2**64"),
        InteropCase(.big("1267650600228229401496703205376"), "2**100"),
        InteropCase(.big("-1180591620717411303424"), "-2**70"),
        InteropCase(.big("-100000000000000000000000000000000000000000000000000"), "-10**50"),
        InteropCase(.big("1" + String(repeating: "0", count: 700)), "10**700"),
        // Floats, including the ones repr spells specially.
        InteropCase(0.0, "0.0"),
        InteropCase(.float(-0.0), "-0.0"),
        InteropCase(1.5, "1.5"),
        InteropCase(0.1, "0.1"),
        InteropCase(1e16, "1e16"),
        InteropCase(1e15, "1e15"),
        InteropCase(1e-5, "1e-05"),
        InteropCase(0.0001, "0.0001"),
        InteropCase(.float(.infinity), "float('inf')"),
        InteropCase(.float(-.infinity), "float('-inf')"),
        InteropCase(.float(.nan), "float('nan')"),
        InteropCase(.float(.greatestFiniteMagnitude), "1.7976931348623157e308"),
        InteropCase(.float(.leastNonzeroMagnitude), "5e-324"),
        // Strings: quotes, escapes, unicode, the 256-byte boundary of SHORT_BINUNICODE.
        InteropCase("", "''"),
        InteropCase("hi", "'hi'"),
        InteropCase("it's", "\"it's\""),
        InteropCase("a \"b\"", "'a \"b\"'"),
        InteropCase("both ' and \"", "'both \\' and \"'"),
        InteropCase("tab\there\nnew\rline\\", "'tab\\there\\nnew\\rline\\\\'"),
        InteropCase("\u{0}\u{1f}\u{7f}\u{80}\u{a0}\u{ad}", "'\\x00\\x1f\\x7f\\x80\\xa0\\xad'"),
        InteropCase("é中文ß", "'é中文ß'"),
        InteropCase("\u{2028}\u{2029}\u{200b}\u{feff}\u{e000}", "'\\u2028\\u2029\\u200b\\ufeff\\ue000'"),
        InteropCase("\u{1F600}\u{E0001}", "'\\U0001f600\\U000e0001'"),
        InteropCase(.string(String(repeating: "a", count: 255)), "'a' * 255"),
        InteropCase(.string(String(repeating: "a", count: 256)), "'a' * 256"),
        InteropCase(.string(String(repeating: "é", count: 40_000)), "'é' * 40000"),
        // Bytes and bytearrays.
        InteropCase(.bytes([]), "b''"),
        InteropCase(.bytes([0]), "b'\\x00'"),
        InteropCase(.bytes(Array("abc".utf8)), "b'abc'"),
        InteropCase(.bytes(Array("it's".utf8)), "b\"it's\""),
        InteropCase(.bytes(Array(0...255)), "bytes(range(256))"),
        InteropCase(.bytes([UInt8](repeating: 0x78, count: 300)), "b'x' * 300"),
        InteropCase(.bytearray([]), "bytearray()"),
        InteropCase(.bytearray(Array("x".utf8)), "bytearray(b'x')"),
        InteropCase(.bytearray([0, 0xFF, 0x27]), "bytearray(b\"\\x00\\xff'\")"),
        // Lists and tuples.
        InteropCase([], "[]"),
        InteropCase([1], "[1]"),
        InteropCase([1, 2], "[1, 2]"),
        InteropCase([.none, true, 1.5, "x", .bytes([0x79])], "[None, True, 1.5, 'x', b'y']"),
        InteropCase([[1, 2], [3], []], "[[1, 2], [3], []]"),
        InteropCase(.list((0..<1000).map { .int($0) }), "list(range(1000))"),
        InteropCase(.list((0..<2500).map { .int($0 * 1000) }), "[i * 1000 for i in range(2500)]"),
        InteropCase(.tuple([]), "()"),
        InteropCase(.tuple([1]), "(1,)"),
        InteropCase(.tuple([1, 2]), "(1, 2)"),
        InteropCase(.tuple([1, 2, 3]), "(1, 2, 3)"),
        InteropCase(.tuple([1, 2, 3, 4]), "(1, 2, 3, 4)"),
        InteropCase(.tuple([.tuple([1]), .tuple([[]]), "x"]), "((1,), ([],), 'x')"),
        InteropCase(nested, String(repeating: "[", count: 51) + String(repeating: "]", count: 51)),
        // Dicts, with int, str, tuple and big int keys.
        InteropCase([:], "{}"),
        InteropCase([1: "hi", 2: "there"], "{1: 'hi', 2: 'there'}"),
        InteropCase(["a": 1], "{'a': 1}"),
        InteropCase([.tuple([1, 2]): "pair", -1: .bytes(Array("neg".utf8))], "{(1, 2): 'pair', -1: b'neg'}"),
        InteropCase([.big("1267650600228229401496703205376"): "big"], "{2**100: 'big'}"),
        InteropCase(["nested": ["list": [1, 2, ["x": .none]]]], "{'nested': {'list': [1, 2, {'x': None}]}}"),
        InteropCase(
            .dict((0..<1000).map { (key: .int($0), value: .int(-$0)) }),
            "{i: -i for i in range(1000)}"
        ),
        InteropCase(
            .dict((0..<1001).map { (key: .int($0), value: .none) }),
            "dict.fromkeys(range(1001))"
        ),
        // Sets and frozensets (of small ints, which Python iterates in order).
        InteropCase(.set([]), "set()"),
        InteropCase(.set([1]), "{1}"),
        InteropCase(.set([1, 2, 3]), "{1, 2, 3}"),
        InteropCase(.set((0..<1000).map { .int($0) }), "set(range(1000))"),
        InteropCase(.frozenset([]), "frozenset()"),
        InteropCase(.frozenset([1, 2]), "frozenset({1, 2})"),
        InteropCase(.frozenset([.tuple([1, 2])]), "frozenset({(1, 2)})"),
        // Memo: equal strings and bytes are shared, as CPython shares one object.
        InteropCase(["a", "a", "b", "a"], "['a', 'a', 'b', 'a']"),
        InteropCase(
            [.string(String(repeating: "x", count: 300)), .string(String(repeating: "x", count: 300))],
            "['x' * 300, 'x' * 300]"
        ),
        InteropCase(
            [.bytes(Array("ab".utf8)), .bytes(Array("ab".utf8)), .bytes(Array("cd".utf8))],
            "[b'ab', b'ab', b'cd']"
        ),
        InteropCase(
            [.set([1]), .set([2]), .frozenset([3]), .bytearray([1]), .bytearray([2])],
            "[{1}, {2}, frozenset({3}), bytearray(b'\\x01'), bytearray(b'\\x02')]"
        ),
        InteropCase([.tuple([1, 2]), .tuple([1, 2])], "[(1, 2), (1, 2)]", exact: false),
        // Frames: values beyond 64 KiB, inside and outside frames.
        InteropCase(.string(String(repeating: "a", count: 70_000)), "'a' * 70000"),
        InteropCase([.bytes([UInt8](repeating: 0x79, count: 70_000)), "tail"], "[b'y' * 70000, 'tail']"),
        InteropCase(
            [
                .bytearray([UInt8](repeating: 0x7A, count: 65_536)), .bytes([UInt8](repeating: 0x62, count: 65_535)),
                "q",
            ],
            "[bytearray(b'z' * 65536), b'b' * 65535, 'q']"
        ),
        InteropCase(.list((0..<30_000).map { .int($0) }), "list(range(30000))"),
        // The tutorial's message, and a record as a Python program would send it.
        InteropCase(
            [
                "name": "Wire", "tags": ["a", "b"], "ratio": 0.5, "raw": .bytes([0]), "ids": .set([1, 2]),
                "none": .none,
            ],
            "{'name': 'Wire', 'tags': ['a', 'b'], 'ratio': 0.5, 'raw': b'\\x00', 'ids': {1, 2}, 'none': None}"
        ),
    ]
}
