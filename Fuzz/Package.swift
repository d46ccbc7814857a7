// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for Wire's decoders, in a package of their own so that `swift test` never
// builds them. Build and run with Fuzz/run.sh (swift build --sanitize=fuzzer --sanitize=address).
let package = Package(
    name: "WireFuzz",
    dependencies: [
        .package(name: "Wire", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "FuzzDecoders",
            dependencies: [
                .product(name: "WireFraming", package: "Wire"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "FuzzPickle",
            dependencies: [
                .product(name: "WirePickle", package: "Wire"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
