/// Why a JetStream operation failed; each says so in one sentence.
public struct JetStreamError: Error, Hashable, Sendable, CustomStringConvertible {
    enum Code: Hashable, Sendable {
        case notEnabled
        case api(operation: String, status: Int, errorCode: Int, description: String)
        case malformedReply(operation: String, reply: String)
        case publishNotAcknowledged(subject: String, after: Duration, reason: String)
        case invalidName(String)
        case invalidMessageID(String)
    }

    let code: Code

    static let notEnabled = Self(code: .notEnabled)
    static func api(operation: String, status: Int, errorCode: Int, description: String) -> Self {
        Self(code: .api(operation: operation, status: status, errorCode: errorCode, description: description))
    }
    static func malformedReply(operation: String, reply: String) -> Self {
        Self(code: .malformedReply(operation: operation, reply: String(reply.prefix(200))))
    }
    static func publishNotAcknowledged(subject: String, after: Duration, reason: String) -> Self {
        Self(code: .publishNotAcknowledged(subject: subject, after: after, reason: reason))
    }
    static func invalidName(_ name: String) -> Self { Self(code: .invalidName(name)) }
    static func invalidMessageID(_ id: String) -> Self { Self(code: .invalidMessageID(id)) }

    /// JetStream's own error code (`err_code`), when the server answered with an error:
    /// 10059 stream not found, 10058 a stream of that name with another configuration, 10005 no
    /// suitable peers (more replicas than servers), 10074 replicas on a single server...
    public var apiErrorCode: Int? {
        if case .api(_, _, let code, _) = self.code { return code }
        return nil
    }

    /// Whether the server has no JetStream (or not for this account).
    public var isNotEnabled: Bool {
        if case .notEnabled = self.code { return true }
        return self.apiErrorCode == 10039
    }

    public var description: String {
        switch self.code {
        case .notEnabled:
            return "the NATS server does not offer JetStream (nobody answers on $JS.API)"
        case .api(let operation, let status, let errorCode, let description):
            return "JetStream refused to \(operation): \(description) (\(status), error \(errorCode))"
        case .malformedReply(let operation, let reply):
            return "JetStream's answer to \(operation) is not what its API says: \(reply.debugDescription)"
        case .publishNotAcknowledged(let subject, let after, let reason):
            return "no stream acknowledged a message on \"\(subject)\" within \(after): \(reason)"
        case .invalidName(let name):
            return
                "\"\(name)\" cannot name a stream or consumer: it must be non-empty, without spaces, '.', '*', '>', '/' or '\\'"
        case .invalidMessageID(let id):
            return "\"\(id)\" cannot be a message ID: it must be non-empty, without spaces or control characters"
        }
    }
}
