import Foundation
import Testing
import WireTestSupport

struct ProcessTimedOut: Error, CustomStringConvertible {
    var description: String
}

/// A child process under test: the built `wire` binary or a Python peer. Everything here is
/// awaited: output is read on threads of its own and the exit comes through a termination
/// handler, so no test holds a cooperative thread while a child runs.
final class RunningProcess: Sendable {
    let child: ChildProcess
    var output: PipeCollector { self.child.output }
    var errorOutput: PipeCollector { self.child.errorOutput }
    var name: String { self.child.name }

    /// The directory of the test binary, where SwiftPM also puts the `wire` executable.
    static let binDirectory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent()
    static let wire =
        ProcessInfo.processInfo.environment["WIRE_BINARY"].map(URL.init(fileURLWithPath:))
        ?? binDirectory.appendingPathComponent("wire")
    static let pythonDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Python"
    )

    /// Starts `executable`. With `standardInput`, that text is its whole input; with
    /// `keepInputOpen`, the input stays open for ``send(_:)`` until ``closeInput()``.
    init(
        _ executable: URL,
        _ arguments: [String],
        standardInput: String? = nil,
        standardInputData: [UInt8]? = nil,
        keepInputOpen: Bool = false
    ) throws {
        let bytes = standardInputData ?? standardInput.map { Array($0.utf8) }
        let input: ChildProcess.Input = keepInputOpen ? .open : bytes.map { .bytes($0) } ?? .none
        self.child = try ChildProcess(executable.path, arguments, input: input)
    }

    /// Starts the `wire` binary.
    static func wire(
        _ arguments: [String],
        standardInput: String? = nil,
        standardInputData: [UInt8]? = nil,
        keepInputOpen: Bool = false
    ) throws -> RunningProcess {
        try RunningProcess(
            Self.wire,
            arguments,
            standardInput: standardInput,
            standardInputData: standardInputData,
            keepInputOpen: keepInputOpen
        )
    }

    /// Starts one of the Python peers in `Python/`.
    static func python(_ script: String, _ arguments: [String]) throws -> RunningProcess {
        try RunningProcess(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", "-u", Self.pythonDirectory.appendingPathComponent(script).path] + arguments
        )
    }

    /// Writes `text` to the process's open standard input.
    func send(_ text: String) async {
        await self.child.send(Array(text.utf8))
    }

    /// Closes the process's standard input: it sees the end of its input.
    func closeInput() throws {
        try self.child.closeInput()
    }

    var isRunning: Bool { self.child.isRunning }

    /// Sends SIGTERM.
    func terminate() {
        self.child.terminate()
    }

    /// Sends SIGINT, as Ctrl-C does.
    func interrupt() {
        self.child.interrupt()
    }

    /// Sends SIGHUP, as an operator does to have a server read its certificates again.
    func hangUp() {
        self.child.signal(SIGHUP)
    }

    /// Waits until standard output contains `text`; returns all output so far.
    @discardableResult
    func waitForOutput(containing text: String, timeout: Duration = .seconds(60)) async throws -> String {
        try await Self.wait(for: text, in: self.output, what: "print \"\(text)\"", name: self.name, timeout: timeout)
    }

    /// Waits until standard error contains `text`.
    @discardableResult
    func waitForErrorOutput(containing text: String, timeout: Duration = .seconds(60)) async throws -> String {
        try await Self.wait(
            for: text,
            in: self.errorOutput,
            what: "print \"\(text)\" on standard error",
            name: self.name,
            timeout: timeout
        )
    }

    private static func wait(
        for text: String,
        in pipe: PipeCollector,
        what: String,
        name: String,
        timeout: Duration
    ) async throws -> String {
        let found: String?
        do {
            found = try await withTimeout(timeout, "\(name): \(what)") {
                await pipe.text { $0.contains(text) }
            }
        } catch let error as TimedOut {
            throw ProcessTimedOut(description: "\(error); it printed \(pipe.text.debugDescription)")
        }
        guard let found else {
            throw ProcessTimedOut(
                description: "\(name) exited without doing \(what); it printed \(pipe.text.debugDescription)"
            )
        }
        return found
    }

    /// The port a server printed on its first line (Python peers) or in "Listening on HOST:PORT"
    /// (wire), on standard output or, with `onStandardError`, standard error.
    func port(onStandardError: Bool = false) async throws -> Int {
        let output =
            try await onStandardError ? self.waitForErrorOutput(containing: "\n") : self.waitForOutput(containing: "\n")
        var first = output.split(separator: "\n").first.map(String.init) ?? ""
        if let port = Int(first) { return port }
        if !first.hasPrefix("Listening on ") && first.hasPrefix("Serving ") {
            // Another port of the same server spoke first (the metrics port): the next line.
            let lines =
                try await onStandardError
                ? self.waitForErrorOutput(containing: "framing)\n") : self.waitForOutput(containing: "framing)\n")
            first = lines.split(separator: "\n").first { $0.hasPrefix("Listening on ") }.map(String.init) ?? first
        }
        // "Listening on 127.0.0.1:41801 (...)" or "Listening on [::1]:41801 (...)"
        let address = first.split(separator: " ").dropFirst(2).first ?? ""
        guard first.hasPrefix("Listening on "), let colon = address.lastIndex(of: ":"),
            let port = Int(address[address.index(after: colon)...])
        else {
            throw ProcessTimedOut(description: "\(self.name) printed no port: \(first.debugDescription)")
        }
        return port
    }

    /// How a process ended, with everything it printed.
    struct Finished {
        let status: Int32
        let outputBytes: [UInt8]
        let errorBytes: [UInt8]
        /// Standard output as text. Decoded when asked for, not before: binary output decodes
        /// slowly (every invalid byte is a thrown error that Swift Testing takes a backtrace of).
        var output: String { String(decoding: self.outputBytes, as: UTF8.self) }
        var error: String { String(decoding: self.errorBytes, as: UTF8.self) }
    }

    /// Waits for the process to exit and returns its status with everything it printed.
    func finish(timeout: Duration = .seconds(60)) async throws -> Finished {
        let child = self.child
        do {
            let ending = try await withTimeout(timeout, "\(self.name) exiting") { await child.ending() }
            return Finished(status: ending.status, outputBytes: ending.output, errorBytes: ending.errorOutput)
        } catch let error as TimedOut {
            child.terminate()
            throw ProcessTimedOut(description: "\(error); it printed \(self.output.text.debugDescription)")
        }
    }
}
