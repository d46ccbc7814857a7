public import NIOCore

/// Publishing to a stream, with its acknowledgement and a message ID that stores a retried
/// message once.
extension JetStream {
    // MARK: Publishing

    /// Publishes `payload` to `subject` and waits until a stream has stored it.
    ///
    /// With a `messageID` (the `Nats-Msg-Id` header), the stream stores a message once however
    /// often it is sent within its duplicate window: a publish that got no answer is sent again
    /// with the same ID until `timeout`, through a stream leader's election (no responders for a
    /// few seconds) or a reconnect, and is stored exactly once.
    ///
    /// - Throws: ``JetStreamError`` when the stream refused the message or none acknowledged it
    ///   within `timeout`; ``NATSClientError`` when the client is closed.
    public func publish(
        _ payload: ByteBuffer,
        to subject: String,
        messageID: String? = nil,
        headers: NATSHeaders = NATSHeaders(),
        timeout: Duration = .seconds(30)
    ) async throws -> JetStreamPublishAck {
        let headers = try Self.headers(headers, messageID: messageID)
        let deadline = ContinuousClock.now + timeout
        var wait = Duration.milliseconds(50)
        var lastReason = "no answer"
        while true {
            let left = deadline - .now
            guard left > .zero else {
                throw JetStreamError.publishNotAcknowledged(subject: subject, after: timeout, reason: lastReason)
            }
            do {
                return try await self.publishAttempt(
                    payload,
                    to: subject,
                    headers: headers,
                    timeout: min(left, self.requestTimeout)
                ).get()
            } catch let error as NATSClientError
                where error.isNoResponders || error.isRequestTimeout || error == .connectionLost
            {
                // No stream leader right now (an election), or the answer was lost: the same
                // message ID again, so that it is stored once.
                lastReason = error.description
            } catch let error as JetStreamError where Self.isTransient(error) {
                lastReason = error.description
            }
            try await Task.sleep(for: min(wait, max(.zero, deadline - .now)))
            wait = min(wait * 2, .seconds(1))
        }
    }

    /// One attempt at ``publish(_:to:messageID:headers:timeout:)``, without waiting: the stream's
    /// acknowledgement, or the failure, comes through the returned future on the client's event
    /// loop. Nothing is tried again: after a failure, publish again with the same `messageID`
    /// (the stream stores it once). For callers that live on the loop.
    public func publishSoon(
        _ payload: ByteBuffer,
        to subject: String,
        messageID: String? = nil,
        headers: NATSHeaders = NATSHeaders(),
        timeout: Duration = .seconds(5)
    ) -> EventLoopFuture<JetStreamPublishAck> {
        do {
            return self.publishAttempt(
                payload,
                to: subject,
                headers: try Self.headers(headers, messageID: messageID),
                timeout: timeout
            )
        } catch {
            return self.client.eventLoop.makeFailedFuture(error)
        }
    }

    fileprivate func publishAttempt(
        _ payload: ByteBuffer,
        to subject: String,
        headers: NATSHeaders,
        timeout: Duration
    ) -> EventLoopFuture<JetStreamPublishAck> {
        self.client.requestSoon(payload, to: subject, headers: headers.fields.isEmpty ? nil : headers, timeout: timeout)
            .flatMapThrowing { reply in
                try Self.decode(JetStreamPublishAck.self, from: reply, operation: "store a message on \(subject)")
            }
    }

    fileprivate static func headers(_ headers: NATSHeaders, messageID: String?) throws(JetStreamError) -> NATSHeaders {
        var headers = headers
        if let messageID {
            guard !messageID.isEmpty, !messageID.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
                throw JetStreamError.invalidMessageID(messageID)
            }
            headers["Nats-Msg-Id"] = messageID
        }
        return headers
    }

    /// Errors a cluster gives while it elects a leader or is short of servers for a moment.
    static func isTransient(_ error: JetStreamError) -> Bool {
        guard let code = error.apiErrorCode else { return false }
        // 10008: temporarily unavailable; 10023: insufficient resources; 10077: a store error
        // (a follower that is catching up).
        return [10008, 10023].contains(code)
    }
}
