import Logging
import WireChat

extension ChatServerCommand {
    /// A room event as the line the tutorial's server prints (or its JSON form).
    static func report(_ event: ChatEvent, room: String, to output: StatusLines) {
        switch event {
        case .accepted(let peer, let username):
            output.line(
                "Accepted new connection from \(peer), username: \(escapedLine(username))",
                ["peer": peer, "username": username]
            )
        case .received(let username, let text):
            output.line(
                "Received message from \(escapedLine(username)): \(escapedLine(text))",
                ["username": username, "text": text]
            )
        case .closed(let username):
            output.line("Closed connection from: \(escapedLine(username))", ["username": username])
        case .dropped(let username, let reason):
            output.line(
                "Evicted \(escapedLine(username)) from the room: \(reason)",
                level: .warning,
                ["username": username, "reason": "\(reason)"]
            )
        case .refused(let peer, let reason):
            output.line(
                "Refused connection from \(peer): \(reason)",
                level: .warning,
                ["peer": peer, "reason": "\(reason)"]
            )
        case .failed(let peer, let username, let error):
            var metadata = ["peer": peer, "error": "\(error)"]
            metadata["username"] = username
            output.line(
                "Connection from \(peer)\(username.map { " (\(escapedLine($0)))" } ?? "") failed: \(error)",
                level: .warning,
                metadata
            )
        case .roomSplit(let reason):
            output.line(
                "Room split: NATS is out of reach (\(reason)); serving this node's members only, reconnecting",
                level: .warning,
                ["room": room, "reason": reason]
            )
        case .roomWhole(let server):
            output.line(
                "Room whole: linked to the other nodes of room \(room) through \(server)",
                ["room": room, "server": server]
            )
        case .roomStream(let description):
            output.line("Room kept in \(description)", ["room": room, "stream": description])
        case .jetStreamUnavailable(let server):
            output.line(
                "Warning: \(server) offers no JetStream; linking the room over core NATS, which keeps nothing (texts sent while a node is cut off are lost to it)",
                level: .warning,
                ["room": room, "server": server]
            )
        }
    }
}
