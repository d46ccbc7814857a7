import Foundation
import Logging
import NIOCore
import Synchronization
import WireNATS

/// The link's connection to NATS, and who is where: presence on core NATS, as in a core room.
extension ChatStreamLink {
    // MARK: The connection

    func handle(_ event: NATSClientEvent) {
        event.count(in: self.room.metrics)
        switch event {
        case .connected(let server), .reconnected(let server):
            self.linked(server: server.description)
            self.consumer.withLock { $0 }?.connectionCameBack()
        case .disconnected(let reason):
            self.split(reason)
        default:
            event.log(to: self.logger)
        }
    }

    /// On the client's event loop, as every decision of the machine is.
    func linked(server: String) {
        guard self.client.eventLoop.inEventLoop else {
            return self.client.eventLoop.execute { self.linked(server: server) }
        }
        self.decide { ($0.linkBack(), ()) }
        self.room.setSplit(false)
        self.logger.info(
            "the room is whole: linked to the other nodes through its stream",
            metadata: ["nats.server": "\(server)"]
        )
        self.onEvent(.roomWhole(server: server))
        self.publishPresence(.hello)
    }

    /// On the client's event loop, as every decision of the machine is.
    func split(_ reason: String) {
        guard self.client.eventLoop.inEventLoop else {
            return self.client.eventLoop.execute { self.split(reason) }
        }
        // What this node's members have not been given of their own node's texts, they get now.
        let wasWhole = self.decide { machine in
            let wasWhole = !machine.isSplit
            return (machine.linkLost(), wasWhole)
        }
        self.room.setSplit(true)
        // Said once, when it splits.
        guard wasWhole else { return }
        self.logger.info("the room is split: NATS is out of reach", metadata: ["nats.reason": "\(reason)"])
        self.onEvent(.roomSplit(reason: reason))
    }

    // MARK: Presence

    func publishPresence(_ kind: ChatNATSLink.Presence.Kind) {
        self.client.eventLoop.execute {
            guard kind == .bye || !self.machine.value.isClosing else { return }
            let presence = ChatNATSLink.Presence(
                kind: kind,
                names: kind == .bye ? [] : self.room.usernames,
                behind: false
            )
            do {
                let json = try JSONEncoder().encode(presence)
                self.client.publishSoon(ByteBuffer(bytes: json), to: "\(self.prefix).presence.\(self.node)")
            } catch {
                self.logger.error("cannot encode presence", metadata: ["error": "\(error)"])
            }
        }
    }

    func receivedPresence(_ message: NATSMessage) {
        let node = String(message.subject.dropFirst(self.prefix.count + ".presence.".count))
        guard node != self.node else { return }
        guard let presence = ChatNATSLink.Presence.decode(message.payload, from: node, logger: self.logger) else {
            return
        }
        // The stream is the buffer between nodes: nobody here waits for another node's members.
        if self.room.heard(presence, from: node, holdsForIt: false, logger: self.logger) {
            self.publishPresence(.state)
        }
    }

    func presenceTicker() async throws {
        let interval = self.configuration.presenceInterval
        while true {
            try await Task.sleep(for: interval)
            self.publishPresence(.state)
            let deadline = NIODeadline.now() - TimeAmount(interval * Self.silentIntervals)
            for node in self.room.silentNodes(since: deadline) {
                self.logger.info("a node stopped answering; its members have left", metadata: ["chat.from": "\(node)"])
                self.room.removeRemote(node: node)
            }
        }
    }
}
