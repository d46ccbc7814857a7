/// Python's `repr(float)`: the shortest digits that read back as the same double, laid out as
/// `float_repr_style = 'short'` does: positional when the decimal exponent is from -4 to 15,
/// scientific otherwise (`1e+16`, `1e-05`, `1.5e+300`), always with a `.0` or an exponent.
enum PythonFloat {
    static func repr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        let sign = value.sign == .minus ? "-" : ""
        let (digits, pointPosition) = Self.shortestDigits(value.magnitude)
        // `value` is 0.d1d2d3... × 10^pointPosition; Python's `decpt`.
        if pointPosition <= -4 || pointPosition > 16 {
            var text = sign + String(digits.first ?? "0")
            if digits.count > 1 {
                text += "." + digits.dropFirst()
            }
            let exponent = pointPosition - 1
            let magnitude = String(abs(exponent))
            return text + "e" + (exponent < 0 ? "-" : "+") + (magnitude.count < 2 ? "0" : "") + magnitude
        }
        if pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
        }
        if pointPosition >= digits.count {
            return sign + digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
        }
        let split = digits.index(digits.startIndex, offsetBy: pointPosition)
        return sign + digits[..<split] + "." + digits[split...]
    }

    /// The significant digits of Swift's shortest round-trip `description` (which is also the one
    /// Python's repr picks) and the position of the decimal point relative to them.
    private static func shortestDigits(_ value: Double) -> (digits: String, pointPosition: Int) {
        let text = value.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        var integerPart = mantissa
        var fractionPart = Substring("")
        if let dot = mantissa.firstIndex(of: ".") {
            integerPart = mantissa[..<dot]
            fractionPart = mantissa[mantissa.index(after: dot)...]
        }
        var digits = String(integerPart + fractionPart)
        var pointPosition = integerPart.count + exponent
        while digits.hasPrefix("0"), digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.hasSuffix("0"), digits.count > 1 {
            digits.removeLast()
        }
        if digits == "0" {
            return ("0", 1)  // Zero prints as 0.0.
        }
        return (digits, pointPosition)
    }
}
