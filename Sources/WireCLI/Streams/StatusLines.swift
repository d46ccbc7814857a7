/// Where a server's own lines go.
struct StatusLines: Sendable {
    let write: @Sendable (String) -> Void

    init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    func line(_ text: String) {
        self.write(text)
    }
}
