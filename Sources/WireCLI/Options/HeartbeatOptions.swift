import ArgumentParser

/// The heartbeat flag.
struct HeartbeatOptions: ParsableArguments {
    @Option(
        help:
            "Send an empty message after this many seconds without sending, and treat empty messages received as heartbeats (0: off; not with raw framing)."
    )
    var heartbeat: Double = 0

    /// Refuses a heartbeat that cannot work: raw framing has no empty message to send.
    func check(framing: FramingOptions.Kind) throws {
        guard self.heartbeat >= 0, self.heartbeat.isFinite else {
            throw ValidationError("--heartbeat must be a number of seconds, 0 or more; got \(self.heartbeat).")
        }
        if self.heartbeat > 0 && framing == .raw {
            throw ValidationError("--heartbeat needs a framing with empty messages; --framing raw has none.")
        }
    }
}
