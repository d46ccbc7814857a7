import Foundation
import Logging
import NIOCore
import Synchronization
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
            let refused = self.room.receiveRemote(records, from: node)
            if refused > 0 {
                self.logger.warning(
                    "dropped texts this node's framing cannot carry",
                    metadata: ["chat.from": "\(node)", "chat.texts": "\(refused)"]
                )
            }
            // After delivering: if that made someone here behind, the acknowledgement waits.
            let isBehind = self.room.isBehind
            let bytes = message.payload.readableBytes
            if self.flow.withLock({ $0.receive(from: node, offset: offset, bytes: bytes, isBehind: isBehind) }) {
                self.publishPresence(.state)
            }
        case "presence":
            guard let presence = Presence.decode(message.payload, from: node, logger: self.logger) else { return }
            if presence.kind == .bye {
                self.flow.withLock { $0.forget(node) }
            } else {
                let isBehind = self.room.isBehind
                let acknowledgeNow = self.flow.withLock { flow -> Bool in
                    flow.heard(from: node, acknowledging: presence.acks?[self.node])
                    // What it published and has not arrived by now never will: no debt of ours.
                    guard let published = presence.published else { return false }
                    return flow.receive(from: node, offset: published, isBehind: isBehind)
                }
                if acknowledgeNow && presence.kind == .state {
                    self.publishPresence(.state)
                }
            }
            self.updateWindowHold()
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
            self.failedAttempts.store(0, ordering: .relaxed)
            if let info = await self.client.serverInfo {
                self.maximumPayload.store(info.maximumPayload, ordering: .relaxed)
            }
            let server = await self.client.connectedServer
            self.logger.info(
                "the room is whole: linked to the other nodes through NATS",
                metadata: ["nats.server": "\(server.map(\.description) ?? "?")"]
            )
            self.room.setSplit(false)
            self.saidSplit.store(false, ordering: .relaxed)
            self.onEvent(.roomWhole(server: server?.description ?? "NATS"))
            self.publishPresence(.hello)
        case .disconnected(let reason):
            self.reportSplit(reason)
        case .connectionAttemptFailed(let server, let reason):
            event.log(to: self.logger)
            // Said once, and only when every configured server has failed: at start-up with
            // NATS not there yet, not at every attempt or when the next server will do.
            let failures = self.failedAttempts.wrappingAdd(1, ordering: .relaxed).newValue
            if failures >= self.client.configuration.servers.count {
                self.reportSplit("\(server): \(reason)")
            }
        default:
            event.log(to: self.logger)
        }
    }

    /// Holds this node's senders while another node has a window's worth unacknowledged.
    func updateWindowHold() {
        // Numbered under the flow's lock: if an older decision reaches the room last, it is ignored.
        let decision = self.flow.withLock { $0.decide() }
        self.room.setWindowHold(decision.mustHold, decision: decision.number)
    }

    func reportSplit(_ reason: String) {
        // Nobody can acknowledge anything now: the window starts again when the room is whole.
        self.flow.withLock { $0.forgetAll() }
        self.updateWindowHold()
        self.room.setSplit(true)
        guard !self.saidSplit.exchange(true, ordering: .relaxed) else { return }
        self.logger.info("the room is split: NATS is out of reach", metadata: ["nats.reason": "\(reason)"])
        self.onEvent(.roomSplit(reason: reason))
    }

    func expireSilentNodes() {
        let deadline = NIODeadline.now() - TimeAmount(self.interval * Self.silentIntervals)
        for node in self.room.silentNodes(since: deadline) {
            self.logger.info("a node stopped answering; its members have left", metadata: ["chat.from": "\(node)"])
            self.flow.withLock { $0.forget(node) }
            self.updateWindowHold()
            self.room.removeRemote(node: node)
        }
    }
}
