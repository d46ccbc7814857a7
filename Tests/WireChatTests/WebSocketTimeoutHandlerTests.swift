import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing
import Wire

@testable import WireChat

/// A browser member's clock, in an `EmbeddedChannel` with virtual time: pings when the server has
/// written nothing, pongs as heartbeats, and the closes with their reasons.
struct WebSocketTimeoutHandlerTests {
    static func channel(_ timeouts: ConnectionTimeouts) throws -> (EmbeddedChannel, EmbeddedEventLoop, Errors) {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let errors = Errors()
        try channel.pipeline.syncOperations.addHandlers([WebSocketTimeoutHandler(timeouts: timeouts), errors])
        _ = try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1))
        return (channel, loop, errors)
    }

    /// Keeps the errors that reach the end of the pipeline, as the member's stream would see them.
    final class Errors: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        var caught: [ConnectionError] = []

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if let error = error as? ConnectionError { self.caught.append(error) }
        }
    }

    static func frame(_ opcode: WebSocketOpcode, _ text: String = "") -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: opcode, data: ByteBuffer(string: text))
    }

    @Test func pingsAfterSilenceAndAPongKeepsAMemberThatOnlyReads() throws {
        let (channel, loop, errors) = try Self.channel(ConnectionTimeouts(idle: .seconds(10), heartbeat: .seconds(3)))
        loop.advanceTime(by: .seconds(3))
        #expect(try channel.readOutbound(as: WebSocketFrame.self)?.opcode == .ping)
        // Answered: the member is there, though it sends no text.
        try channel.writeInbound(Self.frame(.pong))
        loop.advanceTime(by: .seconds(3))
        #expect(try channel.readOutbound(as: WebSocketFrame.self)?.opcode == .ping)
        try channel.writeInbound(Self.frame(.pong))
        loop.advanceTime(by: .seconds(3))
        #expect(try channel.readOutbound(as: WebSocketFrame.self)?.opcode == .ping)
        try channel.writeInbound(Self.frame(.pong))
        loop.advanceTime(by: .seconds(5))
        #expect(channel.isActive, "12 s and more in, answering every ping: never idle")
        #expect(errors.caught.isEmpty)
        _ = try? channel.finish()
    }

    @Test func aMemberThatAnswersNothingIsClosedAfterTheIdleTimeoutWhateverThePings() throws {
        let (channel, loop, errors) = try Self.channel(ConnectionTimeouts(idle: .seconds(10), heartbeat: .seconds(3)))
        try channel.writeInbound(Self.frame(.text, "alice"))
        loop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive, "the pings sent are not activity")
        #expect(errors.caught.map(\.kind) == [.idleTimeout])
    }

    @Test func aTextWrittenToTheMemberPostponesThePing() throws {
        let (channel, loop, _) = try Self.channel(ConnectionTimeouts(heartbeat: .seconds(3)))
        loop.advanceTime(by: .seconds(2))
        try channel.writeOutbound(Self.frame(.text, "{\"user\":\"bob\",\"text\":\"hi\"}"))
        _ = try channel.readOutbound(as: WebSocketFrame.self)
        loop.advanceTime(by: .seconds(2))
        #expect(
            try channel.readOutbound(as: WebSocketFrame.self) == nil,
            "3 s after the last write, not after the start"
        )
        loop.advanceTime(by: .seconds(1))
        #expect(try channel.readOutbound(as: WebSocketFrame.self)?.opcode == .ping)
        _ = try? channel.finish()
    }

    @Test func aFragmentIsNoUsername() throws {
        let (channel, loop, errors) = try Self.channel(ConnectionTimeouts(firstMessage: .seconds(10)))
        try channel.writeInbound(WebSocketFrame(fin: false, opcode: .text, data: ByteBuffer(string: "ali")))
        loop.advanceTime(by: .seconds(10))
        #expect(!channel.isActive, "the first fragment of a username is not a username")
        #expect(errors.caught.map(\.kind) == [.firstMessageTimeout])
    }

    @Test func theLastFragmentCompletesTheUsername() throws {
        let (channel, loop, errors) = try Self.channel(ConnectionTimeouts(firstMessage: .seconds(10)))
        try channel.writeInbound(WebSocketFrame(fin: false, opcode: .text, data: ByteBuffer(string: "ali")))
        try channel.writeInbound(WebSocketFrame(fin: true, opcode: .continuation, data: ByteBuffer(string: "ce")))
        loop.advanceTime(by: .seconds(20))
        #expect(channel.isActive)
        #expect(errors.caught.isEmpty)
        _ = try? channel.finish()
    }

    @Test func noUsernameInTimeClosesWithTheFirstMessageTimeout() throws {
        let (channel, loop, errors) = try Self.channel(ConnectionTimeouts(firstMessage: .seconds(10)))
        loop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        #expect(errors.caught.map(\.kind) == [.firstMessageTimeout])
    }
}
