import CoreMetrics
import Logging
import NIOCore
import Synchronization
import Wire

/// Bounds the connections the web port serves at once, as `--max-connections` bounds the TCP
/// port's: a connection over the limit is closed as soon as it is accepted, before it is read, so
/// that a flood of browsers or idle HTTP connections cannot take the process's descriptors.
final class WebConnectionLimit: Sendable {
    let maximum: Int
    private let open = Atomic<Int>(0)
    /// The web port's connections, counted as the TCP port's are (`listener="web"`).
    private let metrics: ServerMetrics?

    init(maximum: Int, metrics: ServerMetrics? = nil) {
        self.maximum = maximum
        self.metrics = metrics
    }

    /// Takes a place; `false` when all are taken.
    func enter() -> Bool {
        var current = self.open.load(ordering: .relaxed)
        while current < self.maximum {
            let (exchanged, original) = self.open.compareExchange(
                expected: current,
                desired: current + 1,
                ordering: .relaxed
            )
            if exchanged {
                self.metrics?.accepted.increment()
                self.metrics?.open.increment()
                return true
            }
            current = original
        }
        self.metrics?.refusedFull.increment()
        return false
    }

    func leave() {
        self.open.subtract(1, ordering: .relaxed)
        self.metrics?.open.decrement()
    }

    /// How many connections hold a place.
    var count: Int {
        self.open.load(ordering: .relaxed)
    }
}

/// First in a web connection's pipeline: takes a place in the ``WebConnectionLimit`` when the
/// connection becomes active, gives it back when it closes, and closes it at once without one.
final class WebConnectionLimitHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    private let limit: WebConnectionLimit
    private let logger: Logger
    private var holdsPlace = false

    init(limit: WebConnectionLimit, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive, !self.admit(context: context) {
            context.close(promise: nil)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        let admitted = self.admit(context: context)
        // The handlers after this one see the connection begin and end, as they expect, even
        // when it is refused.
        context.fireChannelActive()
        if !admitted {
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.release()
    }

    @discardableResult
    private func admit(context: ChannelHandlerContext) -> Bool {
        guard !self.holdsPlace else { return true }
        guard self.limit.enter() else {
            self.logger.warning(
                "refused a web connection",
                metadata: [
                    "peer.address": "\(context.channel.remoteAddress?.endpointDescription ?? "unknown")",
                    "reason": "the web port serves at most \(self.limit.maximum) connections at once",
                ]
            )
            return false
        }
        self.holdsPlace = true
        return true
    }

    private func release() {
        if self.holdsPlace {
            self.holdsPlace = false
            self.limit.leave()
        }
    }
}

@available(*, unavailable)
extension WebConnectionLimitHandler: Sendable {}
