import Foundation
import Testing

/// The README's library example is a real program: it runs, and the page shows it as it is.
@Suite(.timeLimit(.minutes(2)))
struct ExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func theEchoExampleRunsAndPrintsTheReply() async throws {
        let example = try RunningProcess(RunningProcess.binDirectory.appendingPathComponent("EchoExample"), [])
        let result = try await example.finish()
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == "Hey there!!!\n")
    }

    @Test func theReadmeShowsTheExampleAsItIs() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let example = try String(
            contentsOf: Self.root.appendingPathComponent("Examples/EchoExample/EchoExample.swift"),
            encoding: .utf8
        )
        #expect(readme.contains("```swift\n" + example + "```\n"))
    }

    /// The README's two commands, as printed: the first (after `swift run`) is what this test runs,
    /// the second is what CI runs.
    static func readmeCommands() throws -> [String] {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.firstRange(of: "## Two commands\n").map { readme[$0.upperBound...] })
        let block = try #require(section.firstMatch(of: try Regex("```\n(.*?)```").dotMatchesNewlines()))
        let lines = try #require(block.output[1].substring).split(separator: "\n")
        // Each line is a command, then its comment.
        return lines.map { line in
            String(line.split(separator: "#", maxSplits: 1)[0]).trimmingCharacters(in: .whitespaces)
        }
    }

    /// Splits a shell command line into its words: spaces, and double quotes around a word.
    static func words(_ line: String) -> [String] {
        var words: [String] = []
        var word = ""
        var quoted = false
        for character in line {
            switch character {
            case "\"":
                quoted.toggle()
            case " " where !quoted:
                if !word.isEmpty { words.append(word) }
                word = ""
            default:
                word.append(character)
            }
        }
        if !word.isEmpty { words.append(word) }
        return words
    }

    @Test func theReadmesFirstCommandServesTheTutorialsClient() async throws {
        let commands = try Self.readmeCommands()
        #expect(commands.count == 2)
        let words = Self.words(try #require(commands.first))
        #expect(Array(words.prefix(3)) == ["swift", "run", "wire"], "\(words)")
        // As printed, on a port of its own (the README's listens on the tutorial's 1234).
        let server = try RunningProcess.wire(Array(words.dropFirst(3)) + ["--port", "0"])
        let port = try await server.port()
        let chunks = try await RunningProcess.python("tutorial_client.py", ["\(port)", "chunks"]).finish()
        #expect(chunks.output == "Hey ther\ne!!!\n")
        server.interrupt()
        #expect(try await server.finish().status == 0)
    }

    @Test func theReadmesSecondCommandIsWhatCIRuns() throws {
        let second = try #require(try Self.readmeCommands().last)
        let ci = try String(contentsOf: Self.root.appendingPathComponent(".ci/run"), encoding: .utf8)
        #expect(ci.split(separator: "\n").contains { $0 == second[...] }, "\(second) in .ci/run")
    }

    @Test func everyFileTheReadmeNamesIsInTheRepository() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        // Anything that looks like a path of this repository, or a Markdown file's name.
        let paths = try Regex(
            #"(?:^|[\s`(])((?:Benchmarks|Examples|Sources|Tests|Soak|Fuzz|docs|\.ci)/[A-Za-z0-9_./-]*[A-Za-z0-9_]|[A-Z]+\.md)"#
        )
        var checked = 0
        for match in readme.matches(of: paths) {
            guard let path = match.output[1].substring.map(String.init) else { continue }
            #expect(
                FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(path).path),
                "README names \(path)"
            )
            checked += 1
        }
        #expect(checked > 3)
    }
}
