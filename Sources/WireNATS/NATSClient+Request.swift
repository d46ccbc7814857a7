public import NIOCore
import Synchronization

/// Request and reply: a message with a reply subject, and the first answer to it.
extension NATSClient {
    /// Publishes `payload` to `subject` with a reply subject of this client's, and returns the first
    /// reply. All requests share one subscription (`_INBOX.<random>.*`), made on the first.
    ///
    /// - Throws: ``NATSClientError`` when no reply comes within `timeout` (nobody answers on that
    ///   subject, or too slowly), or the publish is refused.
    public func request(_ payload: ByteBuffer, to subject: String, timeout: Duration = .seconds(5)) async throws -> NATSMessage {
        let inbox = try await self.requestInbox()
        let token = inbox.nextToken()
        let reply = self.eventLoop.makePromise(of: NATSMessage.self)
        inbox.pending.withLock { $0[token] = reply }
        let timer = self.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            if let waiting = inbox.pending.withLock({ $0.removeValue(forKey: token) }) {
                waiting.fail(NATSClientError.requestTimedOut(subject: subject, after: timeout))
            }
        }
        do {
            try await self.publish(payload, to: subject, replyTo: "\(inbox.prefix).\(token)")
        } catch {
            timer.cancel()
            if let waiting = inbox.pending.withLock({ $0.removeValue(forKey: token) }) {
                waiting.fail(error)
            }
            throw error
        }
        let message = try await reply.futureResult.get()
        timer.cancel()
        return message
    }

    private func requestInbox() async throws -> RequestInbox {
        if let inbox = self.inbox.withLock({ $0 }) {
            return inbox
        }
        let inbox = RequestInbox(prefix: "_INBOX." + String(UInt64.random(in: 0...UInt64.max), radix: 36))
        let (winner, isNew) = self.inbox.withLock { current -> (RequestInbox, Bool) in
            if let current { return (current, false) }
            current = inbox
            return (inbox, true)
        }
        if isNew {
            _ = try await self.subscribe(to: inbox.prefix + ".*") { message in
                let token = String(message.subject.dropFirst(inbox.prefix.count + 1))
                // A late reply, after the timeout, finds nobody waiting and is dropped.
                inbox.pending.withLock { $0.removeValue(forKey: token) }?.succeed(message)
            }
            // Everything published after the server has the subscription can be answered.
            try await self.flush()
        }
        return winner
    }
}

/// The replies this client waits for, by the last token of their reply subject.
final class RequestInbox: Sendable {
    let prefix: String
    let pending = Mutex<[String: EventLoopPromise<NATSMessage>]>([:])
    private let counter = Atomic<UInt64>(0)

    init(prefix: String) {
        self.prefix = prefix
    }

    func nextToken() -> String {
        String(self.counter.wrappingAdd(1, ordering: .relaxed).newValue, radix: 36)
    }
}
