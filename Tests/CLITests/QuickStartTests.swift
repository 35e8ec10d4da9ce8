import Foundation
import XCTest

/// The README's quick start, run as a newcomer pastes it: line by line in bash, from the
/// clone, in a home directory of its own, with nothing of Buurtboek's in the environment.
final class QuickStartTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The commands between the README's quick-start markers, continuation lines joined.
    static func quickStart() throws -> [String] {
        let readme = try String(contentsOfFile: repository + "/README.md", encoding: .utf8)
        guard let start = readme.range(of: "<!-- quick start -->\n"), let end = readme.range(of: "<!-- end of quick start -->") else {
            throw XCTSkip("no quick start in README.md")
        }
        var commands: [String] = []
        var pending = ""
        for line in readme[start.upperBound..<end.lowerBound].split(separator: "\n") {
            let text = line.hasPrefix("    ") ? String(line.dropFirst(4)) : String(line)
            pending += text
            if pending.hasSuffix("\\") { pending.removeLast(); pending += " "; continue }
            commands.append(pending)
            pending = ""
        }
        return commands
    }

    /// bash with a fresh HOME and PATH, none of the test run's BUURTBOEK_ variables.
    func bash(_ script: String, home: String, in directory: String) throws -> CLI.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("BUURTBOEK_") }
        env["HOME"] = home
        env["PATH"] = "/usr/local/bin:/usr/bin:/bin:" + (env["PATH"] ?? "")
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    func testTheQuickStartWorksAsWritten() throws {
        let home = CLI.temporary("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let commands = try Self.quickStart()
        XCTAssertGreaterThan(commands.count, 20)
        XCTAssertTrue(commands[0].hasPrefix("Tools/install"), "the quick start begins by installing")
        // The one change: the test installs the build under test instead of building a release.
        var script = ["set -euo pipefail"]
        for (i, command) in commands.enumerated() {
            let line = i == 0 ? command.replacing("Tools/install", with: "Tools/install --binary '\(CLI.binaries.path)/buurtboek'") : command
            script.append("echo '>>> \(i + 1)' >&2")
            script.append(line)
        }
        let result = try bash(script.joined(separator: "\n"), home: home, in: Self.repository)
        let failedAt = result.stderr.components(separatedBy: ">>> ").last.map { String($0.prefix { $0.isNumber }) } ?? "?"
        XCTAssertEqual(result.status, 0, "quick start line \(failedAt) failed: \(commands[(Int(failedAt) ?? 1) - 1])\n\(result.stderr.suffix(1500))")
        for fragment in ["created master key", "appended at position 1", "state", "IN_PROGRESS", "20,000 appended",
                         "0 appended, 20,000 already recorded", "verified 20,003 events", "Neighbourhood overview", "unchanged: catalogue 1"] {
            XCTAssertTrue(result.stdout.contains(fragment), "expected \(fragment) in the quick start's output:\n\(result.stdout.suffix(3000))")
        }
        let key = try FileManager.default.attributesOfItem(atPath: home + "/.buurtboek")
        XCTAssertEqual((key[.posixPermissions] as! NSNumber).intValue, 0o700)
        // The restored ledger has the same root as the original.
        let roots = result.stdout.split(separator: "\n").filter { $0.hasPrefix("tree size") }
        XCTAssertEqual(roots.count, 2)
        XCTAssertEqual(Set(roots).count, 1, "\(roots)")
    }

    func testTheInstalledBinaryWorksFromAnyDirectory() throws {
        let prefix = CLI.temporary("prefix"), elsewhere = CLI.temporary("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        defer { for p in [prefix, elsewhere] { try? FileManager.default.removeItem(atPath: p) } }
        let install = try bash("Tools/install --prefix '\(prefix)' --binary '\(CLI.binaries.path)/buurtboek'", home: elsewhere, in: Self.repository)
        XCTAssertEqual(install.status, 0, install.stderr)
        // A copy outside the build tree, run from another directory, finds its own catalogue.
        let run = try bash("""
            set -e
            '\(prefix)/bin/buurtboek' init --ledger here.ledger
            '\(prefix)/bin/buurtboek' --version
            '\(prefix)/bin/buurtboek' types --ledger here.ledger | head -3
            '\(prefix)/bin/buurtboek' serve --ledger here.ledger --listen 0.0.0.0:0 2>&1 | grep unencrypted
            """, home: elsewhere, in: elsewhere)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("created ledger here.ledger with a catalogue of 40 event types"), run.stdout)
        XCTAssertTrue(run.stdout.contains("catalogue \(prefix)/share/buurtboek/Schemas"), run.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: prefix + "/share/bash-completion/completions/buurtboek"))
        XCTAssertTrue(run.stdout.contains("tokens and events would cross the network unencrypted"), "the installed buurtboek hands serve to buurtboek-team: \(run.stdout)")
        // An organisation's own catalogue, by --schemas.
        let own = try bash("'\(prefix)/bin/buurtboek' init --ledger own.ledger --schemas '\(prefix)/share/buurtboek/Schemas'", home: elsewhere, in: elsewhere)
        XCTAssertEqual(own.status, 0, own.stderr)
        let missing = try bash("'\(prefix)/bin/buurtboek' init --ledger none.ledger --schemas nowhere", home: elsewhere, in: elsewhere)
        XCTAssertEqual(missing.status, 5, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("holds no catalogue.json"), missing.stderr)
    }
}
