import Testing
import WirePickle

/// Python's repr, character for character (the interop tests compare against CPython itself).
struct PickleReprTests {
    @Test(
        arguments: [
            (PickleValue.dict([(key: 1, value: "hi"), (key: 2, value: "there")]), "{1: 'hi', 2: 'there'}"),
            ("it's", "\"it's\""),
            ("say \"hi\"", "'say \"hi\"'"),
            ("both ' and \"", "'both \\' and \"'"),
            ("line\nbreak\ttab\rret\\", "'line\\nbreak\\ttab\\rret\\\\'"),
            ("\u{0}\u{7}\u{7f}", "'\\x00\\x07\\x7f'"),
            ("\u{a0}\u{ad}é", "'\\xa0\\xadé'"),
            ("\u{2028}\u{200b}中", "'\\u2028\\u200b中'"),
            ("\u{E0001}\u{1F600}", "'\\U000e0001😀'"),
            (.bytes([0, 0x27, 0x41, 0xFF]), "b\"\\x00'A\\xff\""),
            (.bytes(Array("a'\"".utf8)), "b'a\\'\"'"),
            (.bytearray(Array("x".utf8)), "bytearray(b'x')"),
            (.bytearray(Array("it's".utf8)), "bytearray(b\"it\\'s\")"),
            (.tuple([1]), "(1,)"),
            (.tuple([]), "()"),
            (.tuple([1, 2]), "(1, 2)"),
            ([true, false, .none], "[True, False, None]"),
            (.set([1, 2]), "{1, 2}"),
            (.set([]), "set()"),
            (.frozenset([1]), "frozenset({1})"),
            (.frozenset([]), "frozenset()"),
            (.big("-1180591620717411303424"), "-1180591620717411303424"),
            (.float(1.0), "1.0"),
            (.float(1e16), "1e+16"),
            (.float(1e15), "1000000000000000.0"),
            (.float(1e-5), "1e-05"),
            (.float(0.0001), "0.0001"),
            (.float(-0.0), "-0.0"),
            (.float(.infinity), "inf"),
            (.float(-.infinity), "-inf"),
            (.float(.nan), "nan"),
            (.float(1.5e300), "1.5e+300"),
            (.float(123.456), "123.456"),
            (.float(.leastNonzeroMagnitude), "5e-324"),
            ([[], [:], .tuple([.tuple([])])], "[[], {}, ((),)]"),
        ] as [(PickleValue, String)]
    )
    func printsAsPythonDoes(value: PickleValue, repr: String) {
        #expect(value.pythonRepr == repr)
    }
}
