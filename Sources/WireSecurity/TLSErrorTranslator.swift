import NIOCore
import NIOSSL
import Wire

/// Sits right after the TLS handler and turns its errors into a ``ConnectionError`` of kind
/// `.tlsHandshake` that says why in a sentence, so that the core never sees swift-nio-ssl's types.
final class TLSErrorTranslator: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    /// The host as the client named it, so that errors name the peer as the user does.
    private let host: String?

    init(host: String?) {
        self.host = host
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.fireErrorCaught(ConnectionError.tls(error, peer: self.peer(context)) ?? error)
    }

    private func peer(_ context: ChannelHandlerContext) -> String {
        guard let host = self.host, let port = context.channel.remoteAddress?.port else {
            return context.channel.remoteAddress?.endpointDescription ?? "peer"
        }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

@available(*, unavailable)
extension TLSErrorTranslator: Sendable {}

extension ConnectionError {
    /// Says in a sentence why a TLS handshake failed.
    ///
    /// swift-nio-ssl's typed errors are matched where it has them (a name that does not match, an
    /// end of stream during the handshake, an unclean shutdown); BoringSSL's own failures come
    /// only as a stack of descriptions, so those are told apart by BoringSSL's reason name (the
    /// stable `CERTIFICATE_VERIFY_FAILED` part of `error:…:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED`).
    static func tls(_ error: any Error, peer: String) -> ConnectionError? {
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            return .tlsHandshake(peer: peer, reason: "its certificate is not valid for the name asked for")
        }
        guard let error = error as? NIOSSLError else { return nil }
        switch error {
        case .handshakeFailed(.sslError(let stack)) where stack.contains(.eofDuringHandshake):
            return .tlsHandshake(
                peer: peer,
                reason: "it closed the connection during the handshake (does it speak TLS?)"
            )
        case .handshakeFailed(.sslError(let stack)), .handshakeFailed(.unknownError(let stack)):
            let reasons = stack.compactMap(Self.boringSSLReason)
            if reasons.contains("CERTIFICATE_VERIFY_FAILED") {
                return .tlsHandshake(peer: peer, reason: "its certificate is not trusted")
            }
            if reasons.contains(where: { $0 == "WRONG_VERSION_NUMBER" || $0 == "HTTP_REQUEST" || $0.contains("RECORD") }
            ) {
                return .tlsHandshake(peer: peer, reason: "it does not speak TLS")
            }
            if let reason = reasons.first {
                return .tlsHandshake(peer: peer, reason: reason.lowercased().replacing("_", with: " "))
            }
            return .tlsHandshake(peer: peer, reason: "\(stack)")
        case .handshakeFailed(let detail):
            return .tlsHandshake(peer: peer, reason: "\(detail)")
        case .uncleanShutdown:
            return .tlsHandshake(peer: peer, reason: "it closed the connection without a TLS close")
        default:
            return .tlsHandshake(peer: peer, reason: "\(error)")
        }
    }

    /// BoringSSL's reason name in one of its errors (`CERTIFICATE_VERIFY_FAILED`), if it has one.
    private static func boringSSLReason(_ error: BoringSSLInternalError) -> String? {
        let text = error.description
        guard let range = text.firstRange(of: "OPENSSL_internal:") else { return nil }
        let name = text[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        return name.isEmpty ? nil : String(name)
    }
}
