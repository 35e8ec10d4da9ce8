import Foundation
import XCTest

/// A test with a ledger served on loopback (`server`), stopped after the test.
class ServedLedgerTestCase: LedgerTestCase {
    var server: ServedLedger!

    override func setUpWithError() throws {
        try super.setUpWithError()
        server = try ServedLedger(ledger: ledger, work: work)
    }

    override func tearDown() {
        server?.stop()
        super.tearDown()
    }
}

/// A `buurtboek serve` started by a test on a loopback port of its own, with an admin, a
/// worker, an analyst and an auditor enrolled (their tokens in files, mode 0600).
final class ServedLedger {
    let ledger: String, work: String
    private(set) var url = ""
    private(set) var process: Process?
    private var arguments: [String] = []
    static let roles = ["admin", "worker", "analyst", "auditor"]

    private let prefix: String

    init(ledger: String, work: String, extra: [String] = [], prefix: String = "m") throws {
        self.prefix = prefix
        self.ledger = ledger
        self.work = work
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        for role in Self.roles {
            let enrolled = try CLI.run(["member", "add", "\(prefix)-\(role)", "--role", role, "--token-out", tokenFile(role)], ledger: ledger)
            precondition(enrolled.status == 0, enrolled.stderr)
        }
        arguments = ["serve", "--ledger", ledger, "--listen", "127.0.0.1:0"] + extra
        try start()
    }

    func tokenFile(_ role: String) -> String { work + "/\(role).token" }
    func token(_ role: String) throws -> String { try String(contentsOfFile: tokenFile(role), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
    var port: String { String(url.split(separator: ":").last ?? "") }

    /// Where the server's stderr (its log) goes, across restarts.
    var logPath: String { work + "/serve.log" }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Starts the server (again on the same port once it has one) and waits for its address.
    func start() throws {
        let process = Process()
        process.executableURL = CLI.binaries.appendingPathComponent("buurtboek")
        var args = arguments
        if !url.isEmpty, let i = args.firstIndex(of: "--listen") { args[i + 1] = "127.0.0.1:\(port)" }
        process.arguments = args
        process.environment = ProcessInfo.processInfo.environment.merging(CLI.environment) { $1 }
        let out = Pipe()
        process.standardOutput = out
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardError = log
        try process.run()
        self.process = process
        var seen = ""
        let deadline = Date().addingTimeInterval(20)
        while !seen.contains("\n"), Date() < deadline {
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
        }
        guard let range = seen.range(of: #"http[s]?://[0-9.]+:[0-9]+"#, options: .regularExpression) else {
            throw NSError(domain: "serve", code: 1, userInfo: [NSLocalizedDescriptionKey: "the server did not start: \(seen)"])
        }
        url = String(seen[range])
    }

    func stop(signal: Int32 = SIGTERM) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    /// The CLI against the server, as `role`.
    func cli(_ arguments: [String], as role: String, input: Data? = nil) throws -> CLI.Result {
        try CLI.run(arguments + ["--ledger", url, "--token-file", tokenFile(role)], input: input,
                    environment: ["BUURTBOEK_MASTER_KEY_FILE": "/nonexistent-the-client-never-has-it"])
    }

    /// One HTTP request by curl: the status and the body.
    func http(_ method: String, _ path: String, token: String?, body: Data? = nil, maxSeconds: Int? = nil) throws -> (status: Int, body: String) {
        var args = ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, url + path]
        if let maxSeconds { args += ["--max-time", String(maxSeconds)] }
        if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        if let body {
            let file = work + "/body-\(UUID().uuidString)"
            try body.write(to: URL(fileURLWithPath: file))
            args += ["--data-binary", "@" + file, "-H", "Content-Type: application/x-ndjson"]
        }
        let result = try Shell.run("/usr/bin/curl", args)
        let text = result.stdout
        let cut = text.lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
        return (Int(text[cut...]) ?? 0, String(text[..<(text.lastIndex(of: "\n") ?? text.startIndex)]))
    }
}

enum Shell {
    static func run(_ tool: String, _ arguments: [String]) throws -> CLI.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}
