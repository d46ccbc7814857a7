import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The terminal of standard input, switched to character-at-a-time input without echo while
/// `wire chat` edits the line itself, and switched back however the program ends.
final class Terminal: Sendable {
    private let saved: Mutex<termios?>

    /// Whether standard input and output are both a terminal.
    static var isInteractive: Bool {
        isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
    }

    /// Switches the terminal to raw input; output processing stays on, so "\n" still starts a line.
    init?() {
        var settings = termios()
        guard tcgetattr(STDIN_FILENO, &settings) == 0 else { return nil }
        let original = settings
        settings.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        settings.c_iflag &= ~tcflag_t(IXON | ICRNL)
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &settings) == 0 else { return nil }
        self.saved = Mutex(original)
    }

    /// Puts the terminal back as it was; safe to call more than once.
    func restore() {
        self.saved.withLock { saved in
            guard var original = saved else { return }
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
            saved = nil
        }
    }

    deinit {
        self.restore()
    }
}
