import Foundation
import Testing

/// The README's library example is a real program: it runs, and the page shows it as it is.
@Suite(.timeLimit(.minutes(2)))
struct ExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theEchoExampleRunsAndPrintsTheReply() async throws {
        let example = try RunningProcess(RunningProcess.binDirectory.appendingPathComponent("EchoExample"), [])
        let result = try await example.finish()
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == "Hey there!!!\n")
    }

    @Test func theReadmeShowsTheExampleAsItIs() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let example = try String(contentsOf: Self.root.appendingPathComponent("Examples/EchoExample/EchoExample.swift"), encoding: .utf8)
        #expect(readme.contains("```swift\n" + example + "```\n"))
    }

    @Test func everyFileTheReadmeNamesIsInTheRepository() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        // Anything that looks like a path of this repository, or a Markdown file's name.
        let paths = try Regex(#"(?:^|[\s`(])((?:Benchmarks|Examples|Sources|Tests|Soak|Fuzz|docs|\.ci)/[A-Za-z0-9_./-]*[A-Za-z0-9_]|[A-Z]+\.md)"#)
        var checked = 0
        for match in readme.matches(of: paths) {
            guard let path = match.output[1].substring.map(String.init) else { continue }
            #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(path).path), "README names \(path)")
            checked += 1
        }
        #expect(checked > 3)
    }
}
