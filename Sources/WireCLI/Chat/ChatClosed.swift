/// The chat ended from the server's side while this client was still in the room.
struct ChatClosed: Error, CustomStringConvertible {
    let reason: String
    var description: String { self.reason }
}
