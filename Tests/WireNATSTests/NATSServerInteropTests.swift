import Foundation
import NIOCore
import NIOPosix
import Testing
import WireNATS
import WireTestSupport

/// The decoder and the client operations against a real nats-server (Debian's package).
@Suite(.timeLimit(.minutes(1)))
struct NATSServerInteropTests {
    @Test(.enabled(if: NATSServerProcess.shouldRun))
    func speaksWithARealServer() async throws {
        let server = try await NATSServerProcess()
        let port = server.port
        defer { server.stop() }
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
                .publish(
                    subject: "room",
                    replyTo: "inbox.1",
                    headers: headers,
                    payload: ByteBuffer(string: "with headers")
                ),
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
                        NATSMessage(
                            subject: "room",
                            subscriptionID: "1",
                            replyTo: "inbox.1",
                            headers: headers,
                            payload: ByteBuffer(string: "with headers")
                        )
                    ),
                    .pong,
                ]
            )
        }
    }
}
