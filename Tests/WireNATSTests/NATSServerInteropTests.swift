import Foundation
import NIOCore
import NIOPosix
import Testing
import WireNATS

/// The decoder and the client operations against a real nats-server (Debian's package).
@Suite(.timeLimit(.minutes(1)))
struct NATSServerInteropTests {
    /// nats-server, if this machine has it; `scripts/test` installs it and sets WIRE_REQUIRE_NATS,
    /// so that CI fails rather than skips when it is missing.
    static let natsServer: String? = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    static let required = ProcessInfo.processInfo.environment["WIRE_REQUIRE_NATS"] == "1"

    /// Starts nats-server on a free loopback port and returns it with the port.
    static func startServer(_ path: String) async throws -> (Process, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-a", "127.0.0.1", "-p", "-1"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let reader = errors.fileHandleForReading
        var log = ""
        let pattern = try Regex(#"Listening for client connections on 127\.0\.0\.1:(\d+)"#)
        while true {
            let data = reader.availableData
            guard !data.isEmpty else { throw CancellationError() }
            log += String(decoding: data, as: UTF8.self)
            if let match = log.firstMatch(of: pattern), let port = match.output[1].substring.flatMap({ Int($0) }) {
                return (process, port)
            }
        }
    }

    @Test(.enabled(if: NATSServerInteropTests.natsServer != nil || NATSServerInteropTests.required))
    func speaksWithARealServer() async throws {
        let path = try #require(Self.natsServer, "nats-server is not installed")
        let (server, port) = try await Self.startServer(path)
        defer { server.terminate() }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(NATSServerOperationDecoder()))
                    return try NIOAsyncChannel<NATSServerOperation, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var operations = inbound.makeAsyncIterator()
            guard case .info(let info) = try await operations.next() else {
                Issue.record("the server did not start with INFO")
                return
            }
            #expect(String(buffer: info).contains("\"server_id\""))
            var request = ByteBuffer()
            let headers = ByteBuffer(string: "NATS/1.0\r\nWire-Sender: alice\r\n\r\n")
            for operation: NATSClientOperation in [
                .connect(#"{"verbose":false,"pedantic":false,"headers":true,"echo":true}"#),
                .subscribe(subject: "room", queueGroup: nil, subscriptionID: "1"),
                .publish(subject: "room", replyTo: nil, headers: nil, payload: ByteBuffer(string: "hello")),
                .publish(subject: "room", replyTo: "inbox.1", headers: headers, payload: ByteBuffer(string: "with headers")),
                .ping,
            ] {
                operation.write(into: &request)
            }
            try await outbound.write(request)
            var received: [NATSServerOperation] = []
            while let operation = try await operations.next() {
                received.append(operation)
                if operation == .pong { break }
            }
            #expect(
                received == [
                    .message(NATSMessage(subject: "room", subscriptionID: "1", payload: ByteBuffer(string: "hello"))),
                    .message(
                        NATSMessage(subject: "room", subscriptionID: "1", replyTo: "inbox.1", headers: headers, payload: ByteBuffer(string: "with headers"))
                    ),
                    .pong,
                ]
            )
        }
    }
}
