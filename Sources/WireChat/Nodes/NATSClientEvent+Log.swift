import CoreMetrics
import Logging
import WireNATS

extension NATSClientEvent {
    /// Logs what a room's link only notes about its NATS connection (an attempt that failed, a
    /// server going into lame-duck mode, an error, the rest at debug level); both links do the
    /// same, and act on the others themselves.
    func log(to logger: Logger) {
        switch self {
        case .connectionAttemptFailed(let server, let reason):
            logger.debug(
                "NATS connection attempt failed",
                metadata: ["nats.server": "\(server)", "nats.reason": "\(reason)"]
            )
        case .lameDuckMode(let server):
            logger.info(
                "the NATS server is shutting down; moving to another",
                metadata: ["nats.server": "\(server)"]
            )
        case .serverError(let text):
            logger.warning("NATS error", metadata: ["nats.error": "\(text)"])
        default:
            logger.debug("NATS event", metadata: ["nats.event": "\(self)"])
        }
    }

    /// Counts the NATS connection coming back (both links do).
    func count(in metrics: ChatMetrics) {
        if case .reconnected = self {
            metrics.natsReconnects?.increment()
        }
    }
}
