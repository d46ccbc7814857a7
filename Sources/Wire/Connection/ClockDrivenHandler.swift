import NIOCore

/// What a channel handler driven by a ``ConnectionClock`` keeps besides the clock: its timer, the
/// context the timer acts on (from `handlerAdded` to `handlerRemoved` only) and whether it stopped.
package struct ClockTimer {
    var timer: NIOScheduledCallback?
    var context: ChannelHandlerContext?
    var isDone = false

    package init() {}
}

/// A channel handler whose timeouts and heartbeats a ``ConnectionClock`` decides: the TCP
/// connection's ``ConnectionTimeoutHandler`` and the chat room's browser members. The protocol
/// runs the clock (one NIO scheduled callback per connection, with the handler as its target,
/// moved only when it fires); the handler says how a heartbeat is sent and how a timeout ends the
/// connection. Time is the event loop's, so that tests on an `EmbeddedEventLoop` drive it.
package protocol ClockDrivenHandler: AnyObject, NIOScheduledCallbackHandler {
    var clock: ConnectionClock { get set }
    var clockTimer: ClockTimer { get set }
    /// Sends one heartbeat, past the handler's own `write` (a heartbeat is not activity).
    func sendHeartbeat(context: ChannelHandlerContext)
    /// Ends the connection for `error` (the clock has stopped already).
    func timedOut(_ error: ConnectionError, context: ChannelHandlerContext)
}

extension ClockDrivenHandler {
    /// For `handlerAdded`: keeps the context and starts if the channel is active already.
    package func clockHandlerAdded(context: ChannelHandlerContext) {
        self.clockTimer.context = context
        if context.channel.isActive {
            self.startClock(context: context)
        }
    }

    /// For `handlerRemoved`: stops for good and lets go of the context.
    package func clockHandlerRemoved() {
        self.stopClock()
        self.clockTimer.context = nil
    }

    /// For `channelActive`: every clock starts now.
    package func startClock(context: ChannelHandlerContext) {
        guard self.clockTimer.timer == nil, !self.clockTimer.isDone else { return }
        self.clock.start(now: context.eventLoop.now)
        self.scheduleClock(context: context)
    }

    /// For `channelInactive` and before a timeout closes: no timer fires after this.
    package func stopClock() {
        self.clockTimer.isDone = true
        self.clockTimer.timer?.cancel()
        self.clockTimer.timer = nil
    }

    private func scheduleClock(context: ChannelHandlerContext) {
        guard !self.clockTimer.isDone, let deadline = self.clock.deadline else { return }
        do {
            self.clockTimer.timer = try context.eventLoop.assumeIsolated().scheduleCallback(at: deadline, handler: self)
        } catch {
            // Only an event loop that is shutting down refuses; its channels are closing anyway.
            self.clockTimer.timer = nil
        }
    }

    package func handleScheduledCallback(eventLoop: some EventLoop) {
        self.clockTimer.timer = nil
        guard !self.clockTimer.isDone, let context = self.clockTimer.context else { return }
        let peer = context.channel.remoteAddress?.endpointDescription ?? "peer"
        for action in self.clock.fire(now: context.eventLoop.now) {
            switch action {
            case .sendHeartbeat:
                self.sendHeartbeat(context: context)
            case .closeForFirstMessage(let after):
                self.stopClock()
                self.timedOut(ConnectionError.firstMessageTimeout(peer: peer, after: after), context: context)
                return
            case .closeForIdleness(let after):
                self.stopClock()
                self.timedOut(ConnectionError.idleTimeout(peer: peer, after: after), context: context)
                return
            }
        }
        self.scheduleClock(context: context)
    }
}

/// The channel events that start and stop the clock, the same for every clock-driven handler.
extension ClockDrivenHandler where Self: ChannelInboundHandler {
    package func handlerAdded(context: ChannelHandlerContext) {
        self.clockHandlerAdded(context: context)
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        self.clockHandlerRemoved()
    }

    package func channelActive(context: ChannelHandlerContext) {
        self.startClock(context: context)
        context.fireChannelActive()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        self.stopClock()
        context.fireChannelInactive()
    }
}
