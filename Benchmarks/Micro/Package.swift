// swift-tools-version:6.1
import PackageDescription

/// Micro-benchmarks of the WireFraming codecs, kept in their own package so that the root package
/// never depends on package-benchmark. Run with `swift package benchmark` from this directory.
let package = Package(
    name: "WireMicroBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "Wire", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // ordo-one/benchmark, formerly package-benchmark. Naming only "MallocInterposer" turns off the
        // default "RuntimeInterposer" trait, whose package (swift-runtime-interposer) is not mirrored here.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "FramingBenchmarks",
            dependencies: [
                .product(name: "WireFraming", package: "Wire"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/FramingBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        )
    ]
)
