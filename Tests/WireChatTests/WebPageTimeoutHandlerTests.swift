import NIOCore
import NIOEmbedded
import Testing
import Wire

@testable import WireChat

/// A web connection's clock before it is a browser member, in an `EmbeddedChannel` with virtual
/// time: the first request's deadline, which trickled bytes do not move, and the idle timeout of
/// a page connection kept alive.
struct WebPageTimeoutHandlerTests {
    typealias Errors = WebSocketTimeoutHandlerTests.Errors

    static func channel(
        _ timeouts: ConnectionTimeouts
    ) throws -> (EmbeddedChannel, EmbeddedEventLoop, Errors, WebPageTimeoutHandler) {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let (handler, errors) = (WebPageTimeoutHandler(timeouts: timeouts), Errors())
        try channel.pipeline.syncOperations.addHandlers([handler, errors])
        _ = try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1))
        return (channel, loop, errors, handler)
    }

    @Test func bytesTrickledInDoNotKeepAConnectionWithoutAWholeFirstRequest() throws {
        let (channel, loop, errors, _) = try Self.channel(
            ConnectionTimeouts(idle: .seconds(10), firstMessage: .seconds(1))
        )
        for _ in 0..<3 {
            loop.advanceTime(by: .milliseconds(300))
            try channel.writeInbound(ByteBuffer(string: "G"))
        }
        #expect(channel.isActive)
        loop.advanceTime(by: .milliseconds(100))
        #expect(!channel.isActive)
        #expect(errors.caught.map(\.kind) == [.firstMessageTimeout])
    }

    @Test func aPageConnectionKeptAliveIsClosedWhenNothingGoesEitherWayForTheIdleTimeout() throws {
        let (channel, loop, errors, handler) = try Self.channel(
            ConnectionTimeouts(idle: .seconds(4), firstMessage: .seconds(1))
        )
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n"))
        let context = try channel.pipeline.syncOperations.context(handlerType: WebPageTimeoutHandler.self)
        handler.firstRequestRead(context: context)
        loop.advanceTime(by: .seconds(3))
        // The answer goes out: activity.
        try channel.writeOutbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\n"))
        loop.advanceTime(by: .seconds(3))
        #expect(channel.isActive, "1 s past the first-request deadline and 3 s after the answer")
        #expect(errors.caught.isEmpty)
        loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        #expect(errors.caught.map(\.kind) == [.idleTimeout])
    }

    @Test func withNoTimeoutsNothingCloses() throws {
        let (channel, loop, errors, _) = try Self.channel(ConnectionTimeouts())
        loop.advanceTime(by: .seconds(3600))
        #expect(channel.isActive && errors.caught.isEmpty)
        _ = try? channel.finish()
    }
}
