import Foundation
import XCTest

/// Runs the built `buurtboek` and `generate-year` executables, as a worker's shell would.
enum CLI {
    static let binaries: URL = {
        // The test bundle sits beside the products it was built with.
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("buurtboek").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }()

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    @discardableResult
    static func run(_ arguments: [String], tool: String = "buurtboek", ledger: String? = nil, input: Data? = nil,
                    environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = binaries.appendingPathComponent(tool)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["BUURTBOEK_WORKER"] = "w-test"
        env["BUURTBOEK_SCHEMAS"] = schemas
        env["BUURTBOEK_MASTER_KEY_FILE"] = masterKey
        if let ledger { env["BUURTBOEK_LEDGER"] = ledger } else { env.removeValue(forKey: "BUURTBOEK_LEDGER") }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe(), inp = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inp
        try process.run()
        if let input { inp.fileHandleForWriting.write(input) }
        try inp.fileHandleForWriting.close()
        // Read before waiting, so a large output cannot fill the pipe and stall the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// One master key for the whole test run, made by the tool itself.
    static let masterKey: String = {
        let path = NSTemporaryDirectory() + "buurtboek-cli-master-\(UUID().uuidString).key"
        let process = Process()
        process.executableURL = binaries.appendingPathComponent("buurtboek")
        process.arguments = ["key", "master", "--out", path]
        process.standardOutput = FileHandle.nullDevice
        try! process.run()
        process.waitUntilExit()
        precondition(process.terminationStatus == 0, "cannot create a master key")
        return path
    }()

    /// The environment for a child process started by hand.
    static var environment: [String: String] {
        ["BUURTBOEK_WORKER": "w-test", "BUURTBOEK_MASTER_KEY_FILE": masterKey, "BUURTBOEK_SCHEMAS": schemas]
    }

    static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Schemas").path

    static func temporary(_ name: String) -> String {
        NSTemporaryDirectory() + "buurtboek-cli-\(name)-\(UUID().uuidString)"
    }

    /// Generated JSON Lines.
    static func year(events: Int, seed: Int) throws -> Data {
        let result = try run(["--events", String(events), "--seed", String(seed)], tool: "generate-year")
        precondition(result.status == 0, result.stderr)
        return Data(result.stdout.utf8)
    }
}

extension XCTestCase {
    func assertExit(_ result: CLI.Result, _ status: Int32, _ fragment: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, status, "stderr: \(result.stderr) stdout: \(result.stdout.prefix(500))", file: file, line: line)
        if let fragment {
            XCTAssertTrue((result.stderr + result.stdout).contains(fragment), "expected \"\(fragment)\" in: \(result.stderr)\(result.stdout.prefix(500))", file: file, line: line)
        }
        if status != 0 && status != 3 {
            XCTAssertFalse(result.stderr.contains("Fatal error") || result.stderr.contains("Backtrace"), "a trap: \(result.stderr)", file: file, line: line)
        }
    }
}

/// A test with a fresh ledger (made by `buurtboek init`) and a scratch directory for files.
class LedgerTestCase: XCTestCase {
    var ledger = "", work = ""

    override func setUpWithError() throws {
        ledger = CLI.temporary("ledger")
        work = CLI.temporary("files")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try XCTAssertEqual(CLI.run(["init", "--ledger", ledger]).status, 0)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: ledger)
        try? FileManager.default.removeItem(atPath: work)
    }
}
