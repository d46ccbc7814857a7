import Foundation
import Logging
import NIOCore

extension ChatNATSLink.Presence {
    /// A node's presence as it came over NATS; `nil`, with a warning, when it is malformed.
    static func decode(_ payload: ByteBuffer, from node: String, logger: Logger) -> Self? {
        do {
            return try JSONDecoder().decode(Self.self, from: Data(payload.readableBytesView))
        } catch {
            logger.warning("dropped a malformed presence", metadata: ["chat.from": "\(node)", "error": "\(error)"])
            return nil
        }
    }
}

extension ChatRoom {
    /// Takes what another node's presence says of its members (and, when `holdsForIt`, of one
    /// of them being behind); returns whether it asks for this node's own presence in return (it
    /// just came). Both links, core and stream, hear presence this way.
    func heard(
        _ presence: ChatNATSLink.Presence,
        from node: String,
        holdsForIt: Bool,
        logger: Logger
    ) -> Bool {
        switch presence.kind {
        case .bye:
            logger.info("a node left the room", metadata: ["chat.from": "\(node)"])
            self.removeRemote(node: node)
            return false
        case .hello, .state:
            self.updateRemote(node: node, names: presence.names, isBehind: holdsForIt && presence.behind)
            return presence.kind == .hello
        }
    }
}
