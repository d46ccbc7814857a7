import Foundation
import NIOCore
import NIOPosix

// nio-baseline server --mode sink|echo [--host 127.0.0.1] [--port 9000] [--framing be32|ascii10]
// nio-baseline sink [--host] [--port] [--count 1000000] [--size 64] [--framing]
// nio-baseline echo [--host] [--port] [--count 20000] [--size 64] [--warmup 1000] [--framing]
// Clients print one JSON object, with the same protocols and figures as `wire bench --json`.

var options: [String: String] = [:]
let arguments = Array(CommandLine.arguments.dropFirst())
var index = 1
while index + 1 < arguments.count {
    options[String(arguments[index].drop { $0 == "-" })] = arguments[index + 1]
    index += 2
}
let command = arguments.first ?? "help"
let host = options["host"] ?? "127.0.0.1"
let port = Int(options["port"] ?? "9000") ?? 9000
let size = Int(options["size"] ?? "64") ?? 64
guard let framing = Framing(rawValue: options["framing"] ?? "be32") else {
    FileHandle.standardError.write(Data("--framing must be be32 or ascii10\n".utf8))
    exit(2)
}

switch command {
case "server":
    try runServer(mode: options["mode"] ?? "echo", host: host, port: port, framing: framing)
case "sink":
    let count = Int(options["count"] ?? "1000000") ?? 1_000_000
    let start = NIODeadline.now()
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    let handler = SinkClientHandler(count: count, size: size, eventLoop: loop)
    _ = try connect(host: host, port: port, framing: framing, handler: handler)
    let counted = try handler.done.futureResult.wait()
    let seconds = Double((NIODeadline.now() - start).nanoseconds) / 1e9
    guard counted == count else {
        FileHandle.standardError.write(Data("server counted \(counted), sent \(count)\n".utf8))
        exit(1)
    }
    print(
        "{\"impl\": \"nio-baseline\", \"workload\": \"sink\", \"size\": \(size), \"count\": \(count), "
            + "\"seconds\": \(seconds), \"messages_per_second\": \(Double(count) / seconds), "
            + "\"megabytes_per_second\": \(Double(count * size) / seconds / 1e6)}"
    )
case "echo":
    let count = Int(options["count"] ?? "20000") ?? 20000
    let warmup = Int(options["warmup"] ?? "1000") ?? 1000
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    let handler = EchoClientHandler(count: count, warmup: warmup, size: size, eventLoop: loop)
    _ = try connect(host: host, port: port, framing: framing, handler: handler)
    let samples = try handler.done.futureResult.wait().sorted()
    func percentile(_ p: Double) -> Double {
        Double(samples[max(1, Int((p / 100 * Double(samples.count)).rounded(.up))) - 1]) / 1000
    }
    let mean = Double(samples.reduce(0, +)) / Double(samples.count) / 1000
    print(
        "{\"impl\": \"nio-baseline\", \"workload\": \"echo\", \"size\": \(size), \"count\": \(count), "
            + "\"mean_us\": \(mean), \"p50_us\": \(percentile(50)), \"p99_us\": \(percentile(99))}"
    )
default:
    print(
        "usage: nio-baseline server|sink|echo [--host H] [--port P] [--framing be32|ascii10] [--mode sink|echo] [--count N] [--size S] [--warmup W]"
    )
}
