import Foundation
import Synchronization

/// A child process of a test whose end is awaited, never waited for: its output is read on
/// threads of its own and its exit comes through Foundation's termination handler, so no test
/// holds one of Swift's cooperative threads (as many as there are cores) while a peer starts,
/// talks or exits.
public final class ChildProcess: Sendable {
    /// What the child reads.
    public enum Input: Sendable {
        /// Nothing: `/dev/null`.
        case none
        /// These bytes, then the end of its input.
        case bytes([UInt8])
        /// A pipe that stays open for ``send(_:)`` until ``closeInput()``.
        case open
    }

    /// How a child ended, with everything it printed.
    public struct Ending: Sendable {
        public let status: Int32
        /// Whether it was ended by a signal (then `status` is the signal's number).
        public let wasSignalled: Bool
        public let output: [UInt8]
        public let errorOutput: [UInt8]

        public var outputText: String { String(decoding: self.output, as: UTF8.self) }
        public var errorText: String { String(decoding: self.errorOutput, as: UTF8.self) }
    }

    private struct Exit {
        var status: (Int32, Bool)?
        var waiters: [CheckedContinuation<(Int32, Bool), Never>] = []
    }

    /// The exit, shared with the termination handler (which must not keep the process alive).
    private final class ExitBox: Sendable {
        let state = Mutex(Exit())
    }

    private let process: Process
    private let exit = ExitBox()
    private let input: FileHandle?
    /// Standard output and standard error, as they arrive.
    public let output: PipeCollector
    public let errorOutput: PipeCollector
    /// The command line, for messages.
    public let name: String

    /// Starts `executable` (a path, or a name looked up in `PATH` through `/usr/bin/env`).
    public init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        input: Input = .none
    ) throws {
        let process = Process()  // blocking-ok: never waited for here; its end comes through terminationHandler
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        self.name = ([URL(fileURLWithPath: executable).lastPathComponent] + arguments).joined(separator: " ")
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inputPipe = Pipe()
        switch input {
        case .none:
            process.standardInput = FileHandle.nullDevice
            self.input = nil
        case .bytes:
            process.standardInput = inputPipe
            self.input = nil
        case .open:
            process.standardInput = inputPipe
            self.input = inputPipe.fileHandleForWriting
        }
        self.process = process
        let exit = self.exit
        process.terminationHandler = { process in
            let status = (process.terminationStatus, process.terminationReason == .uncaughtSignal)
            let waiters = exit.state.withLock { exit -> [CheckedContinuation<(Int32, Bool), Never>] in
                exit.status = status
                defer { exit.waiters.removeAll() }
                return exit.waiters
            }
            for waiter in waiters { waiter.resume(returning: status) }
        }
        try process.run()
        self.output = PipeCollector(out.fileHandleForReading)
        self.errorOutput = PipeCollector(err.fileHandleForReading)
        if case .bytes(let bytes) = input {
            // From a thread of its own: a large input fills the pipe before the child reads it.
            let writer = inputPipe.fileHandleForWriting
            Thread {
                writer.write(Data(bytes))  // blocking-ok: a thread of its own
                try? writer.close()  // the child may have exited without reading it all
            }.start()
        }
    }

    deinit {
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGCONT)
            self.process.terminate()
        }
    }

    /// Runs `executable` to its end and returns how it ended.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        input: Input = .none
    ) async throws -> Ending {
        try await ChildProcess(executable, arguments, environment: environment, input: input).ending()
    }

    public var processIdentifier: Int32 { self.process.processIdentifier }

    public var isRunning: Bool { self.exit.state.withLock { $0.status == nil } }

    /// Sends SIGTERM.
    public func terminate() {
        if self.isRunning { self.process.terminate() }
    }

    /// Sends SIGINT, as Ctrl-C does.
    public func interrupt() {
        if self.isRunning { self.process.interrupt() }
    }

    /// Sends `signal` (SIGKILL, SIGSTOP, SIGCONT...).
    public func signal(_ signal: Int32) {
        if self.isRunning { kill(self.process.processIdentifier, signal) }
    }

    /// Writes `bytes` to the child's open standard input (``Input/open``), from a thread of its own.
    public func send(_ bytes: [UInt8]) async {
        guard let input = self.input else { return }
        await onThreadOfItsOwn {
            // The child may have exited: writing to its closed pipe is then a no-op here.
            try? input.write(contentsOf: Data(bytes))  // blocking-ok: a thread of its own
        }
    }

    /// Closes the child's standard input: it sees the end of its input.
    public func closeInput() throws {
        try self.input?.close()
    }

    /// Waits for the child to exit: its status, and whether a signal ended it.
    public func exited() async -> (status: Int32, wasSignalled: Bool) {
        await withCheckedContinuation { (continuation: CheckedContinuation<(Int32, Bool), Never>) in
            let status = self.exit.state.withLock { exit -> (Int32, Bool)? in
                if let status = exit.status { return status }
                exit.waiters.append(continuation)
                return nil
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    /// Waits for the child to exit and for its output to be read to the end.
    public func ending() async -> Ending {
        let (status, wasSignalled) = await self.exited()
        let output = await self.output.closed()
        let errorOutput = await self.errorOutput.closed()
        return Ending(status: status, wasSignalled: wasSignalled, output: output, errorOutput: errorOutput)
    }
}

/// Runs `body` on a thread of its own and returns its result: for the few calls that block
/// (a socket's `recv`, a pipe's `write`), so that they never hold a cooperative thread.
public func onThreadOfItsOwn<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

/// Runs `body` on a thread of its own and returns its result or throws its error.
public func onThreadOfItsOwn<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Swift.Result { try body() }) }.start()
    }
}

/// Runs `body`, or throws ``TimedOut`` if it has not finished after `timeout` (and cancels it).
public func withTimeout<Result: Sendable>(
    _ timeout: Duration,
    _ what: @autoclosure () -> String,
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let what = what()
    return try await withThrowingTaskGroup(of: Result.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TimedOut(description: "\(what) did not happen within \(timeout)")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

public struct TimedOut: Error, CustomStringConvertible {
    public var description: String
}
