import Foundation
import XCTest

/// Tests that try to break the ledger: crashes in the middle of a write, writers racing.
final class ReliabilityTests: LedgerTestCase {

    func ids(_ jsonl: String) -> [String] {
        jsonl.split(separator: "\n").map { line in
            (try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any])["id"] as! String
        }
    }

    /// kill -9 at random moments during an import: each time the log is a prefix of the input and
    /// verifies; running the import again completes it without duplicates.
    func testKillDuringImportLeavesAVerifiablePrefixAndResumes() throws {
        let year = try CLI.year(events: 20_000, seed: 5)
        let file = work + "/year.jsonl"
        try year.write(to: URL(fileURLWithPath: file))
        let inputIds = ids(String(decoding: year, as: UTF8.self))
        var generator = SystemRandomNumberGenerator()
        var killedAt: [Int] = []
        for _ in 0..<3 {
            let process = Process()
            process.executableURL = CLI.binaries.appendingPathComponent("buurtboek")
            process.arguments = ["import", file, "--ledger", ledger, "--batch-size", "500"]
            process.environment = CLI.environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 50_000...600_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let exported = ids(try CLI.run(["export"], ledger: ledger).stdout)
            killedAt.append(exported.count)
            XCTAssertEqual(exported, Array(inputIds.prefix(exported.count)), "the log is a prefix of the input")
            assertExit(try CLI.run(["verify"], ledger: ledger), 0)
        }
        assertExit(try CLI.run(["import", file], ledger: ledger), 0, "0 refused")
        XCTAssertEqual(ids(try CLI.run(["export"], ledger: ledger).stdout), inputIds, "complete, once each (killed at \(killedAt))")
        assertExit(try CLI.run(["verify"], ledger: ledger), 0, "verified 20,000 events")
    }

    /// Four processes append to one ledger at once: every event once, positions gapless, verify passes.
    func testFourProcessesAppendingAtOnce() throws {
        var files: [String] = []
        var expected = Set<String>()
        for writer in 0..<4 {
            var lines: [String] = []
            for i in 0..<300 {
                let id = UUID().uuidString.lowercased()
                expected.insert(id)
                lines.append(#"{"id":"\#(id)","type":"contact.recorded","stream":"contact-w\#(writer)-\#(i)","data":{"mode":"phone","topics":["money"]}}"#)
            }
            let file = work + "/writer-\(writer).jsonl"
            try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
            files.append(file)
        }
        let processes = try files.map { file -> Process in
            let p = Process()
            p.executableURL = CLI.binaries.appendingPathComponent("buurtboek")
            p.arguments = ["import", file, "--ledger", ledger, "--batch-size", "7"]
            p.environment = CLI.environment
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            return p
        }
        // Single appends race the imports, on a stream of their own.
        for i in 0..<10 {
            let arguments = i == 0
                ? ["append", "signal.raised", "--stream", "signal-race", "--expect-version", "none", "--field", "category=safety",
                   "--field", "raised_by=worker", "--field", "description=a race"]
                : ["append", "signal.feedback_given", "--stream", "signal-race", "--expect-version", String(i), "--field", "channel=phone"]
            assertExit(try CLI.run(arguments, ledger: ledger), 0)
        }
        for p in processes { p.waitUntilExit(); XCTAssertEqual(p.terminationStatus, 0) }
        let lines = try CLI.run(["export"], ledger: ledger).stdout.split(separator: "\n").map {
            try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        XCTAssertEqual(lines.map { $0["position"] as! Int }, Array(1...1210), "gapless")
        let appended = lines.map { $0["id"] as! String }
        XCTAssertEqual(Set(appended).count, appended.count, "no event twice")
        XCTAssertTrue(expected.isSubset(of: Set(appended)), "every imported event present")
        XCTAssertEqual(lines.filter { $0["stream"] as? String == "signal-race" }.map { $0["streamVersion"] as! Int }, Array(1...10))
        assertExit(try CLI.run(["verify"], ledger: ledger), 0, "verified 1,210 events")
    }
}
