/// The line being typed at `wire chat`'s prompt, fed the terminal's bytes one at a time.
///
/// Pure logic, without the terminal: it turns key presses into edits of the line and tells the
/// caller when a line is submitted, when the user wants to leave, and what to redraw.
struct LineEditor {
    /// What a key press asks for.
    enum Event: Equatable {
        /// Nothing to do (a byte of a longer sequence, an ignored key).
        case none
        /// The line changed: redraw it.
        case redraw
        /// Enter: the line is done.
        case submit(String)
        /// Ctrl-D on an empty line: the end of input.
        case endOfInput
        /// Ctrl-C: leave now.
        case interrupt
    }

    private(set) var line = ""
    private var pendingUTF8: [UInt8] = []
    private var escape: [UInt8]?

    /// Takes one byte from the terminal.
    mutating func feed(_ byte: UInt8) -> Event {
        if var sequence = self.escape {
            // ESC [ ... final byte, or ESC and one byte: arrows and the like, ignored.
            sequence.append(byte)
            let finished =
                sequence.count == 1
                ? byte != UInt8(ascii: "[") && byte != UInt8(ascii: "O") : (0x40...0x7E).contains(byte)
            self.escape = finished ? nil : sequence
            return .none
        }
        switch byte {
        case 0x1B:
            self.escape = []
            return .none
        case 0x0D, 0x0A:
            let line = self.line
            self.line = ""
            self.pendingUTF8 = []
            return .submit(line)
        case 0x7F, 0x08:
            guard !self.line.isEmpty else { return .none }
            self.line.removeLast()
            return .redraw
        case 0x15:  // Ctrl-U: the whole line
            self.line = ""
            return .redraw
        case 0x17:  // Ctrl-W: the last word
            while self.line.last == " " { self.line.removeLast() }
            while let last = self.line.last, last != " " { self.line.removeLast() }
            return .redraw
        case 0x03:
            return .interrupt
        case 0x04:
            return self.line.isEmpty ? .endOfInput : .none
        case 0x00..<0x20:
            return .none
        default:
            self.pendingUTF8.append(byte)
            if let text = String(validating: self.pendingUTF8, as: UTF8.self) {
                self.line += text
                self.pendingUTF8 = []
                return .redraw
            }
            if self.pendingUTF8.count >= 4 {
                // Not UTF-8: dropped rather than sent as something else.
                self.pendingUTF8 = []
            }
            return .none
        }
    }
}
