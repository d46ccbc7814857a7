import Foundation
import Synchronization
import Testing

/// Collects what a child process writes to one pipe, on a thread of its own.
final class PipeCollector: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    private let closed = Atomic<Bool>(false)

    init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                self.bytes.withLock { $0.append(contentsOf: data) }
            }
            self.closed.store(true, ordering: .releasing)
        }
        thread.start()
    }

    var text: String {
        self.bytes.withLock { String(decoding: $0, as: UTF8.self) }
    }

    var data: [UInt8] {
        self.bytes.withLock { $0 }
    }

    var isClosed: Bool {
        self.closed.load(ordering: .acquiring)
    }
}

struct ProcessTimedOut: Error, CustomStringConvertible {
    var description: String
}

/// A child process under test: the built `wire` binary or a Python peer.
final class RunningProcess {
    let process = Process()
    let output: PipeCollector
    let errorOutput: PipeCollector
    let name: String
    private let input: Pipe?

    /// The directory of the test binary, where SwiftPM also puts the `wire` executable.
    static let binDirectory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    static let wire = ProcessInfo.processInfo.environment["WIRE_BINARY"].map(URL.init(fileURLWithPath:))
        ?? binDirectory.appendingPathComponent("wire")
    static let pythonDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python")

    /// Starts `executable`. With `standardInput`, that text is its whole input; with
    /// `keepInputOpen`, the input stays open for ``send(_:)`` until ``closeInput()``.
    init(_ executable: URL, _ arguments: [String], standardInput: String? = nil, standardInputData: [UInt8]? = nil, keepInputOpen: Bool = false) throws {
        let standardInput = standardInputData.map { Data($0) } ?? standardInput.map { Data($0.utf8) }
        self.name = ([executable.lastPathComponent] + arguments).joined(separator: " ")
        self.process.executableURL = executable
        self.process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        self.process.standardOutput = out
        self.process.standardError = err
        let input = Pipe()
        self.process.standardInput = standardInput == nil && !keepInputOpen ? FileHandle.nullDevice : input
        self.input = keepInputOpen ? input : nil
        try self.process.run()
        self.output = PipeCollector(out.fileHandleForReading)
        self.errorOutput = PipeCollector(err.fileHandleForReading)
        if let standardInput {
            // From a thread of its own: a large input fills the pipe before the child reads it.
            let writer = input.fileHandleForWriting
            Thread {
                writer.write(standardInput)
                try? writer.close()
            }.start()
        }
    }

    /// Starts the `wire` binary.
    static func wire(_ arguments: [String], standardInput: String? = nil, standardInputData: [UInt8]? = nil, keepInputOpen: Bool = false) throws -> RunningProcess {
        try RunningProcess(Self.wire, arguments, standardInput: standardInput, standardInputData: standardInputData, keepInputOpen: keepInputOpen)
    }

    /// Writes `text` to the process's open standard input.
    func send(_ text: String) {
        self.input?.fileHandleForWriting.write(Data(text.utf8))
    }

    /// Closes the process's standard input: it sees the end of its input.
    func closeInput() throws {
        try self.input?.fileHandleForWriting.close()
    }

    /// Starts one of the Python peers in `Python/`.
    static func python(_ script: String, _ arguments: [String]) throws -> RunningProcess {
        try RunningProcess(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", "-u", Self.pythonDirectory.appendingPathComponent(script).path] + arguments
        )
    }

    deinit {
        if self.process.isRunning {
            self.process.terminate()
        }
    }

    /// Waits until standard output contains `text`; returns all output so far.
    @discardableResult
    func waitForOutput(containing text: String, timeout: Duration = .seconds(60)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let output = self.output.text
            if output.contains(text) { return output }
            if !self.process.isRunning && self.output.isClosed {
                throw ProcessTimedOut(description: "\(self.name) exited without printing \"\(text)\"; it printed \(output.debugDescription) and \(self.errorOutput.text.debugDescription)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ProcessTimedOut(description: "\(self.name) did not print \"\(text)\"; it printed \(self.output.text.debugDescription)")
    }

    /// Waits until standard error contains `text`.
    @discardableResult
    func waitForErrorOutput(containing text: String, timeout: Duration = .seconds(60)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let output = self.errorOutput.text
            if output.contains(text) { return output }
            if !self.process.isRunning && self.errorOutput.isClosed {
                throw ProcessTimedOut(description: "\(self.name) exited without printing \"\(text)\" on standard error; it printed \(output.debugDescription)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ProcessTimedOut(description: "\(self.name) did not print \"\(text)\" on standard error; it printed \(self.errorOutput.text.debugDescription)")
    }

    /// The port a server printed on its first line (Python peers) or in "Listening on HOST:PORT"
    /// (wire), on standard output or, with `onStandardError`, standard error.
    func port(onStandardError: Bool = false) async throws -> Int {
        let output = try await onStandardError ? self.waitForErrorOutput(containing: "\n") : self.waitForOutput(containing: "\n")
        let first = output.split(separator: "\n").first.map(String.init) ?? ""
        if let port = Int(first) { return port }
        // "Listening on 127.0.0.1:41801 (...)" or "Listening on [::1]:41801 (...)"
        let address = first.split(separator: " ").dropFirst(2).first ?? ""
        guard first.hasPrefix("Listening on "), let colon = address.lastIndex(of: ":"),
            let port = Int(address[address.index(after: colon)...])
        else {
            throw ProcessTimedOut(description: "\(self.name) printed no port: \(first.debugDescription)")
        }
        return port
    }

    /// Waits for the process to exit and returns its status with everything it printed.
    func finish(timeout: Duration = .seconds(60)) async throws -> (status: Int32, output: String, error: String, outputBytes: [UInt8]) {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning || !self.output.isClosed || !self.errorOutput.isClosed {
            guard ContinuousClock.now < deadline else {
                self.process.terminate()
                throw ProcessTimedOut(description: "\(self.name) did not exit; it printed \(self.output.text.debugDescription)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return (self.process.terminationStatus, self.output.text, self.errorOutput.text, self.output.data)
    }

    /// Sends SIGINT, as Ctrl-C does.
    func interrupt() {
        self.process.interrupt()
    }
}
