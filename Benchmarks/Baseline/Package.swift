// swift-tools-version:6.1
import PackageDescription

// A raw SwiftNIO pipeline (ChannelHandlers, no async bridge), to measure Wire against in the
// same run: the fastest a hand-written NIO program gets, with the same protocols as wire bench.
let package = Package(
    name: "Baseline",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2")
    ],
    targets: [
        .executableTarget(
            name: "nio-baseline",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
