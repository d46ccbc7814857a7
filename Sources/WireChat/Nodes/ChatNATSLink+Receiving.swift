import Foundation
import Logging
import NIOCore
import WireNATS

/// What the link hears: other nodes' texts and presence, the NATS connection's events, and the
/// decisions they lead to (holds, split and whole, nodes gone silent).
extension ChatNATSLink {
    // MARK: In

    func received(_ message: NATSMessage) {
        let rest = message.subject.dropFirst(self.prefix.count + 1)
        guard let dot = rest.firstIndex(of: ".") else { return }
        let kind = rest[..<dot]
        var node = String(rest[rest.index(after: dot)...])
        var offset: Int?
        if kind == "text", let end = node.firstIndex(of: ".") {
            offset = Int(node[node.index(after: end)...])
            node = String(node[..<end])
        }
        guard node != self.node else { return }
        switch kind {
        case "text":
            guard let records = ChatRecordBatch.decode(message.payload), let offset, offset >= 0 else {
                self.logger.warning("dropped a malformed batch of texts", metadata: ["chat.from": "\(node)"])
                return
            }
            let (refused, isBehind) = self.room.receiveRemote(records, from: node)
            if refused > 0 {
                self.logger.warning(
                    "dropped texts this node's framing cannot carry",
                    metadata: ["chat.from": "\(node)", "chat.texts": "\(refused)"]
                )
            }
            // If delivering made someone here behind, the acknowledgement waits.
            let bytes = message.payload.readableBytes
            self.decide { $0.received(from: node, offset: offset, bytes: bytes, isBehind: isBehind) }
        case "presence":
            guard let presence = Presence.decode(message.payload, from: node, logger: self.logger) else { return }
            let isBehind = self.room.isBehind
            self.decide {
                $0.heard(
                    from: node,
                    kind: presence.kind,
                    acknowledging: presence.acks?[self.node],
                    published: presence.published,
                    isBehind: isBehind
                )
            }
            if self.room.heard(presence, from: node, holdsForIt: true, logger: self.logger) {
                self.publishPresence(.state)
            }
        default:
            break
        }
    }

    func handle(_ event: NATSClientEvent) async {
        event.count(in: self.room.metrics)
        switch event {
        case .connected, .reconnected:
            let maximumPayload = await self.client.serverInfo?.maximumPayload
            let server = await self.client.connectedServer?.description ?? "NATS"
            self.later { self.decide { $0.connected(to: server, maximumPayload: maximumPayload) } }
        case .disconnected(let reason):
            self.later { self.decide { $0.disconnected(reason: reason) } }
        case .connectionAttemptFailed(let server, let reason):
            event.log(to: self.logger)
            let servers = self.client.configuration.servers.count
            self.later { self.decide { $0.attemptFailed(reason: "\(server): \(reason)", servers: servers) } }
        default:
            event.log(to: self.logger)
        }
    }

    /// Nodes that stopped answering: their members have left. On the client's loop.
    func expireSilentNodes() {
        let deadline = NIODeadline.now() - TimeAmount(self.interval * Self.silentIntervals)
        let silent = self.room.silentNodes(since: deadline)
        for node in silent {
            self.logger.info("a node stopped answering; its members have left", metadata: ["chat.from": "\(node)"])
            self.room.removeRemote(node: node)
        }
        self.decide { $0.silent(silent) }
    }
}
