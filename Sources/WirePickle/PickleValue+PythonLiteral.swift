/// A Python literal that could not be read.
public struct PythonLiteralError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Where in the text, counted in characters from 0.
    public let position: Int
    /// What was expected there.
    public let expected: String

    public var description: String {
        "invalid Python literal at character \(self.position): expected \(self.expected)"
    }
}

extension PickleValue {
    /// Reads a Python literal, as `ast.literal_eval` does for the types a pickle carries: `None`,
    /// `True`, `False`, ints of any size, floats, `'str'` and `"str"` with Python's escapes,
    /// `b'bytes'`, lists, tuples, dicts, sets and `set()`. JSON's `null`, `true` and `false` are
    /// taken too, so that JSON text reads as the same value. Nothing is evaluated.
    ///
    /// ```swift
    /// try PickleValue(pythonLiteral: "{1: 'hi', 2: 'there'}")   // the tutorial's part-3 dict
    /// ```
    public init(pythonLiteral text: String) throws(PythonLiteralError) {
        var parser = PythonLiteralParser(Array(text.unicodeScalars))
        self = try parser.parseDocument()
    }
}
