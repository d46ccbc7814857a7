// `import Wire` is all a program needs: the framings and NIO's ByteBuffer come with it, as
// NIOPosix brings NIOCore.
@_exported public import NIOCore
@_exported public import WireFraming
