import Testing
import WirePickle

struct PythonLiteralTests {
    /// Literals in the form Python's repr() writes them read back to the same value and repr.
    @Test(arguments: [
        "{1: 'hi', 2: 'there'}", "None", "True", "False", "0", "-42", "123456789012345678901234567890",
        "-170141183460469231731687303715884105728", "1.5", "-0.0", "1e+16", "'a\"b'", "\"it's\"", "'tab\\there\\n'",
        "'h\u{e9}llo'", "b'\\x00\\xff'", "[]", "[1, [2, [3]]]", "()", "(1,)", "(1, 'a', None)", "{}", "{1, 2}",
        "{'a': [1, (2, 3)], (1, 2): {3}}", "set()",
    ])
    func readsWhatReprWrites(literal: String) throws {
        let value = try PickleValue(pythonLiteral: literal)
        #expect(value.pythonRepr == literal)
    }

    @Test func readsJSONToo() throws {
        let value = try PickleValue(pythonLiteral: #"{"name": "alice", "tags": [true, false, null], "n": 3}"#)
        #expect(value.pythonRepr == "{'name': 'alice', 'tags': [True, False, None], 'n': 3}")
    }

    @Test(arguments: [
        ("", "invalid Python literal at character 0: expected a value"),
        ("[1, 2", "invalid Python literal at character 5: expected ',' or ']'"),
        ("'open", "invalid Python literal at character 5: expected the closing quote '"),
        (
            "__import__('os')",
            "invalid Python literal at character 0: expected a value (None, True, False, a number, a string, bytes, a list, a tuple, a dict or a set)"
        ),
        ("1 2", "invalid Python literal at character 2: expected the end of the text"),
        (
            "Nonesuch",
            "invalid Python literal at character 0: expected a value (None, True, False, a number, a string, bytes, a list, a tuple, a dict or a set)"
        ),
    ])
    func refusesWhatIsNotALiteral(text: String, message: String) {
        #expect(throws: PythonLiteralError.self) { try PickleValue(pythonLiteral: text) }
        do {
            _ = try PickleValue(pythonLiteral: text)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: PythonLiteralError.self) { try PickleValue(pythonLiteral: text) }
    }
}
