public import Logging
public import NIOCore
public import NIOPosix
public import ServiceLifecycle
import Wire
import WireFraming

/// The tutorial's chat room as a server people can deploy (PROTOCOLS.md §4).
///
/// The first frame from a client is its username; every later frame is a text, relayed to every
/// other member as two frames (username, text), never back to the sender. On top of the tutorial:
/// bad usernames are refused with a notice, joins and leaves are announced by
/// ``ChatRoom/serverName`` (unless turned off), `/who` lists who is online, `/quit` leaves, and a
/// client that stops reading is dropped when its bounded queue fills, while the others go on.
///
/// ```swift
/// let server = ChatServer(configuration: ChatServerConfiguration()) { event in print(event) }
/// try await server.run()
/// ```
public struct ChatServer: Service {
    /// The room every client joins.
    public let room: ChatRoom
    /// The configuration the server runs with.
    public let configuration: ChatServerConfiguration
    private let server: WireServer

    /// Creates a chat server.
    ///
    /// - Parameters:
    ///   - configuration: Where to listen, the limits and the room's options.
    ///   - eventLoopGroup: The event loops to run on; NIO's shared group by default.
    ///   - logger: Receives connection events.
    ///   - onListening: Called once with the bound address.
    ///   - onEvent: Called for every join, text, leave, drop and refusal.
    public init(
        configuration: ChatServerConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "wire.chat", factory: { _ in SwiftLogNoOpLogHandler() }),
        onListening: @escaping @Sendable (SocketAddress) async -> Void = { _ in },
        onEvent: @escaping @Sendable (ChatEvent) -> Void = { _ in }
    ) {
        let room = ChatRoom(historySize: configuration.historySize, announcesMembership: configuration.announcesMembership)
        self.room = room
        self.configuration = configuration
        self.server = WireServer(
            configuration: configuration.server,
            eventLoopGroup: eventLoopGroup,
            logger: logger,
            onListening: onListening,
            handler: { connection in
                await Self.serve(connection, room: room, configuration: configuration, onEvent: onEvent)
            }
        )
    }

    /// Serves the room until cancelled or gracefully shut down.
    public func run() async throws {
        try await self.server.run()
    }

    private static func serve(
        _ connection: WireConnection,
        room: ChatRoom,
        configuration: ChatServerConfiguration,
        onEvent: @escaping @Sendable (ChatEvent) -> Void
    ) async {
        let peer = connection.peerDescription
        var messages = connection.messages.makeAsyncIterator()
        let username: String
        do {
            guard let first = try await messages.next() else { return }
            username = try Self.validatedUsername(first, limit: configuration.maximumUsernameBytes)
        } catch let error as ChatError {
            await Self.refuse(connection, peer: peer, reason: error, onEvent: onEvent)
            return
        } catch {
            onEvent(.failed(peer: peer, username: nil, error: error))
            return
        }

        let subscriber = ChatSubscriber(
            maximumMessages: configuration.maximumQueuedMessages,
            maximumBytes: configuration.maximumQueuedBytes
        )
        let id: ChatRoom.MemberID
        do {
            id = try room.join(name: username, subscriber: subscriber) { reason in
                onEvent(.dropped(username: username, reason: reason))
                connection.close()
            }
        } catch {
            await Self.refuse(connection, peer: peer, reason: error, onEvent: onEvent)
            return
        }
        onEvent(.accepted(peer: peer, username: username))

        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // The writer: moves the member's queue into the connection one batch at a time, and
                // waits for each batch to reach the socket, so what a slow reader has not taken
                // piles up in its bounded queue (which then drops it), not in the connection.
                while let batch = await subscriber.nextBatch() {
                    do {
                        try await connection.send(contentsOf: batch)
                        try await connection.drain()
                    } catch {
                        connection.close()
                        break
                    }
                }
            }
            do {
                while let message = try await messages.next() {
                    let text = String(decoding: message.readableBytesView, as: UTF8.self)
                    switch text {
                    case "/quit":
                        room.leave(id)
                    case "/who":
                        room.notify(id, "online: " + room.usernames.joined(separator: ", "))
                        continue
                    default:
                        onEvent(.received(username: username, text: text))
                        room.publish(message, from: id)
                        continue
                    }
                    break
                }
            } catch is CancellationError {
                // The server is stopping.
            } catch {
                onEvent(.failed(peer: peer, username: username, error: error))
            }
            room.leave(id)
            await group.waitForAll()
        }
        onEvent(.closed(username: username))
    }

    private static func refuse(
        _ connection: WireConnection,
        peer: String,
        reason: ChatError,
        onEvent: @Sendable (ChatEvent) -> Void
    ) async {
        onEvent(.refused(peer: peer, reason: reason))
        // A notice the client can print as an ordinary record, then the close.
        try? await connection.send(contentsOf: ChatRecord(username: ChatRoom.serverName, text: "refused: \(reason)").frames)
    }

    static func validatedUsername(_ frame: ByteBuffer, limit: Int) throws(ChatError) -> String {
        guard frame.readableBytes > 0 else { throw ChatError.emptyUsername }
        guard frame.readableBytes <= limit else {
            throw ChatError.usernameTooLong(length: frame.readableBytes, limit: limit)
        }
        guard let name = String(validating: frame.readableBytesView, as: UTF8.self),
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw ChatError.usernameNotText
        }
        return name
    }
}
