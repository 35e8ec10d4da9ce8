import Foundation
import XCTest

/// Output that fits a terminal, and guidance when a user errs: each through the CLI.
final class GuidanceTests: LedgerTestCase {

    func importYear(_ events: Int = 3_000) throws {
        let file = work + "/year.jsonl"
        try CLI.year(events: events, seed: 9).write(to: URL(fileURLWithPath: file))
        assertExit(try CLI.run(["import", file], ledger: ledger), 0)
    }

    func longestLine(_ text: String) -> Int { text.split(separator: "\n").map(\.count).max() ?? 0 }

    func testEveryTableFitsAnEightyColumnTerminal() throws {
        try importYear()
        let narrow = ["COLUMNS": "80"]
        let commands: [[String]] = [
            ["report", "neighbourhoods"], ["report", "referrals"], ["report", "signals"], ["report", "initiatives"],
            ["report", "volunteers"], ["report", "network"], ["types"], ["types", "referral.made"], ["log", "--limit", "50"],
            ["audit", "referral", "referral-2025-000042"], ["access-log"], ["stream", "referral-2025-000042"], ["show", "5"], ["checkpoint", "list"],
        ]
        try CLI.run(["show", "1"], ledger: ledger)   // an entry in the access record
        for command in commands {
            let result = try CLI.run(command, ledger: ledger, environment: narrow)
            assertExit(result, 0)
            XCTAssertLessThanOrEqual(longestLine(result.stdout), 80, "\(command.joined(separator: " ")):\n\(result.stdout.prefix(3000))")
        }
        // --wide keeps a wide report's rows whole; piped output is never fitted.
        let wide = try CLI.run(["report", "neighbourhoods", "--section", "totals", "--wide"], ledger: ledger, environment: narrow)
        XCTAssertGreaterThan(longestLine(wide.stdout), 200)
        let piped = try CLI.run(["report", "neighbourhoods", "--section", "totals"], ledger: ledger)
        XCTAssertEqual(piped.stdout, wide.stdout, "a pipe gets the table whole")
        let csv = try CLI.run(["report", "neighbourhoods", "--format", "csv"], ledger: ledger, environment: narrow)
        XCTAssertFalse(csv.stdout.contains("1,0") && csv.stdout.contains("\"1,0"), "CSV keeps plain numbers")
    }

    func testTimesShowTheLocalZoneUnlessUTCIsAsked() throws {
        assertExit(try CLI.run(["append", "contact.recorded", "--stream", "contact-1", "--field", "mode=phone", "--field", "topics=money",
                                "--occurred-at", "2024-03-05T14:30:00+01:00"], ledger: ledger), 0)
        let amsterdam = ["TZ": "Europe/Amsterdam"]
        assertExit(try CLI.run(["log"], ledger: ledger, environment: amsterdam), 0, "2024-03-05 14:30 +01:00")
        assertExit(try CLI.run(["log", "--utc"], ledger: ledger, environment: amsterdam), 0, "2024-03-05 13:30 +00:00")
        assertExit(try CLI.run(["show", "1"], ledger: ledger, environment: amsterdam), 0, "2024-03-05 14:30 +01:00  (2024-03-05T13:30:00Z)")
        let json = try CLI.run(["log", "--format", "jsonl"], ledger: ledger, environment: amsterdam)
        XCTAssertTrue(json.stdout.contains("\"occurredAt\":\"2024-03-05T13:30:00Z\""), "JSON stays RFC 3339 UTC: \(json.stdout)")
    }

    func testMistakesAreNamedWithTheNearestValidName() throws {
        assertExit(try CLI.run(["apend", "contact.recorded"], ledger: ledger), 2, "did you mean append?")
        assertExit(try CLI.run(["help", "nonexist"], ledger: ledger), 2, "unknown command 'nonexist'")
        assertExit(try CLI.run(["append", "referal.made", "--stream", "referral-1"], ledger: ledger), 3, "did you mean referral.made?")
        assertExit(try CLI.run(["log", "--type", "referal.made"], ledger: ledger), 3, "did you mean referral.made?")
        assertExit(try CLI.run(["types", "contact.recordd"], ledger: ledger), 3, "did you mean contact.recorded?")
        assertExit(try CLI.run(["report", "neighborhoods"], ledger: ledger), 2, "did you mean neighbourhoods?")
        assertExit(try CLI.run(["log", "--format", "jsnl"], ledger: ledger), 2, "did you mean jsonl?")
        assertExit(try CLI.run(["project", "referals"], ledger: ledger), 2, "did you mean referrals?")
        // Malformed option values are usage errors.
        assertExit(try CLI.run(["append", "referral.accepted", "--stream", "referral-1", "--expect-version", "banana"], ledger: ledger), 2, "--expect-version banana")
        assertExit(try CLI.run(["append", "contact.recorded", "--stream", "contact-1", "--field", "mode=phone", "--field", "topics=money",
                                "--field", "minutes=abc"], ledger: ledger), 2, "expected a number")
    }

    func testASchemaRefusalNamesEveryBrokenField() throws {
        let result = try CLI.run(["append", "contact.recorded", "--stream", "contact-1", "--data", #"{"mode":"skating","minutes":"ten","mood":"good"}"#], ledger: ledger)
        assertExit(result, 3, "4 fields are wrong")
        for path in ["/data/mode", "/data/minutes", "/data/mood", "/data/topics: is required"] {
            XCTAssertTrue(result.stderr.contains(path), "\(path) in \(result.stderr)")
        }
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "one line")
    }

    func testImportShowsItsFirstRefusalsOnTheTerminal() throws {
        let good = #"{"type":"contact.recorded","stream":"contact-1","data":{"mode":"street","topics":["safety"]}}"#
        let lines = [good] + (2...9).map { #"{"type":"contact.recorded","stream":"contact-\#($0)","data":{"mode":"flying","topics":["safety"]}}"# }
        let file = work + "/day.jsonl"
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: file))
        let result = try CLI.run(["import", file], ledger: ledger)
        assertExit(result, 3, "8 refused lines written to")
        XCTAssertTrue(result.stderr.contains("line 2: "), result.stderr)
        XCTAssertTrue(result.stderr.contains("line 6: "), result.stderr)
        XCTAssertFalse(result.stderr.contains("line 7: "), "the first five only: \(result.stderr)")
        XCTAssertTrue(result.stderr.contains("/data/mode: must be one of"), result.stderr)
    }

    func testFactsAsJSON() throws {
        try importYear(1_000)
        try CLI.run(["project"], ledger: ledger)
        let commands: [([String], [String])] = [
            (["stats"], ["events", "streams", "treeRoot", "byType", "byNeighbourhood"]),
            (["verify"], ["verified", "events", "root", "streamsWithStates"]),
            (["stream", "referral-2025-000001"], ["stream", "events", "states"]),
            (["types", "referral.made"], ["type", "version", "fields"]),
            (["catalogue"], ["inForce", "sha256", "history"]),
            (["checkpoint", "list"], []),
            (["access-log"], []),
            (["project", "--status"], ["name", "position", "behind", "digest"]),
            (["replay"], ["events", "models", "scratch"]),
            (["import", "--format", "json", CLI.temporary("none")], []),
        ]
        for (command, keys) in commands.dropLast() {
            let result = try CLI.run(command + ["--format", "json"], ledger: ledger)
            assertExit(result, 0)
            let value = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
            let object = (value as? [String: Any]) ?? ((value as? [[String: Any]])?.first) ?? [:]
            for key in keys { XCTAssertNotNil(object[key], "\(command.joined(separator: " ")) --format json has \(key): \(result.stdout.prefix(300))") }
        }
        let file = work + "/one.jsonl"
        try Data(#"{"type":"contact.recorded","stream":"contact-x","data":{"mode":"street","topics":["safety"]}}"#.utf8).write(to: URL(fileURLWithPath: file))
        let summary = try CLI.run(["import", "--format", "json", file], ledger: ledger)
        assertExit(summary, 0)
        let object = try JSONSerialization.jsonObject(with: Data(summary.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(object["appended"] as? Int, 1)
        XCTAssertEqual(object["refused"] as? Int, 0)
    }

    func testVersionAndCompletion() throws {
        let version = try CLI.run(["--version"])
        assertExit(version, 0, "ledger format 4")
        XCTAssertTrue(version.stdout.contains("catalogue ") && version.stdout.contains("40 event types"), version.stdout)
        let script = try CLI.run(["--generate-completion-script", "bash"])
        assertExit(script, 0, "---completion append -- positional@0")
        let types = try CLI.run(["---completion", "append", "--", "positional@0", "ref"], ledger: ledger)
        assertExit(types, 0, "referral.made")
    }

    func testEveryHelpPageHasExamplesAndExitCodes() throws {
        let pages = ["init", "append", "import", "log", "show", "stream", "types", "stats", "verify", "export", "catalogue", "catalogue update",
                     "key", "key master", "key generate", "erase resident", "access-log", "checkpoint", "checkpoint list", "checkpoint show",
                     "prove inclusion", "prove consistency", "audit", "correct", "void", "project", "replay", "report"]
        for page in pages {
            let help = try CLI.run(page.split(separator: " ").map(String.init) + ["--help"], environment: ["COLUMNS": "80"])
            assertExit(help, 0)
            XCTAssertTrue(help.stdout.contains("EXAMPLES"), "\(page): examples")
            XCTAssertTrue(help.stdout.contains("EXIT CODES"), "\(page): exit codes")
            var inExamples = false
            for line in help.stdout.split(separator: "\n") {
                if line.hasPrefix("EXAMPLES") { inExamples = true } else if line.hasPrefix("EXIT CODES") { inExamples = false }
                if inExamples { XCTAssertLessThanOrEqual(line.count, 80, "\(page): an example wider than 80 columns: \(line)") }
                XCTAssertLessThanOrEqual(line.components(separatedBy: "default").count, 2, "\(page): a default said twice: \(line)")
            }
        }
    }
}
