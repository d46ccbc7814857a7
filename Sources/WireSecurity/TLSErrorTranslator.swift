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
    static func tls(_ error: any Error, peer: String) -> ConnectionError? {
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            return .tlsHandshake(peer: peer, reason: "its certificate is not valid for the name asked for")
        }
        guard let error = error as? NIOSSLError else { return nil }
        switch error {
        case .handshakeFailed(let detail):
            let text = "\(detail)"
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                return .tlsHandshake(peer: peer, reason: "its certificate is not trusted")
            }
            if text.contains("WRONG_VERSION_NUMBER") || text.contains("HTTP_REQUEST") || text.contains("RECORD") {
                return .tlsHandshake(peer: peer, reason: "it does not speak TLS")
            }
            if text.contains("EOF during handshake") {
                return .tlsHandshake(peer: peer, reason: "it closed the connection during the handshake (does it speak TLS?)")
            }
            if let range = text.firstRange(of: "OPENSSL_internal:") {
                let code = text[range.upperBound...].prefix { $0.isLetter || $0 == "_" }
                return .tlsHandshake(peer: peer, reason: code.lowercased().replacing("_", with: " "))
            }
            return .tlsHandshake(peer: peer, reason: text)
        case .uncleanShutdown:
            return .tlsHandshake(peer: peer, reason: "it closed the connection without a TLS close")
        default:
            return .tlsHandshake(peer: peer, reason: "\(error)")
        }
    }
}
