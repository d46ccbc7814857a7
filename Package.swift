// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Wire",
    products: [
        .library(name: "WireFraming", targets: ["WireFraming"]),
        .library(name: "Wire", targets: ["Wire"]),
        .library(name: "WireSecurity", targets: ["WireSecurity"]),
        .library(name: "WireChat", targets: ["WireChat"]),
        .library(name: "WirePickle", targets: ["WirePickle"]),
        .library(name: "WireCodable", targets: ["WireCodable"]),
        .library(name: "WireNATS", targets: ["WireNATS"]),
        .executable(name: "wire", targets: ["WireCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "WireFraming",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio")
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WirePickle",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio")
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Wire",
            dependencies: [
                "WireFraming",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // Codable values as messages (JSON, pickles): apart, so that Wire needs neither Foundation
        // nor WirePickle.
        .target(
            name: "WireCodable",
            dependencies: [
                "Wire",
                "WirePickle",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // TLS and the shared-secret handshake, apart: a program of plain framed TCP builds no BoringSSL.
        .target(
            name: "WireSecurity",
            dependencies: [
                "Wire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WireChat",
            dependencies: [
                "Wire",
                "WireSecurity",
                "WireNATS",
                "WireFraming",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "WireCLI",
            dependencies: [
                "Wire",
                "WireSecurity",
                "WireChat",
                "WireNATS",
                "WireFraming",
                "WirePickle",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WireNATS",
            dependencies: [
                "Wire",
                "WireSecurity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WireNATSTests",
            dependencies: [
                "WireSecurity",
                "WireNATS",
                "Wire",
                "WireTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The README's library example, built and run by the tests so that it cannot rot.
        .executableTarget(
            name: "EchoExample",
            dependencies: ["Wire"],
            path: "Examples/EchoExample",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WireTestSupport",
            dependencies: [
                "WireTestParallelism",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/WireTestSupport",
            swiftSettings: swiftSettings
        ),
        // Sets how many tests run at once when the test binary loads (see its source).
        .target(
            name: "WireTestParallelism",
            path: "Tests/WireTestParallelism"
        ),
        .testTarget(
            name: "WireFramingTests",
            dependencies: [
                "WireFraming",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WirePickleTests",
            dependencies: [
                "WirePickle",
                "WireTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            exclude: ["Python"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WireTests",
            dependencies: [
                "WireSecurity",
                "Wire",
                "WireCodable",
                "WireTestSupport",
                "WireFraming",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WireChatTests",
            dependencies: [
                "WireSecurity",
                "WireChat",
                "WireNATS",
                "WireTestSupport",
                "Wire",
                "WireFraming",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WireCLITests",
            dependencies: [
                "WireSecurity",
                "WireCLI",
                "EchoExample",
                "WireTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Python"],
            swiftSettings: swiftSettings
        ),
    ]
)
