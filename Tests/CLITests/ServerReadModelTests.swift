import Foundation
import XCTest

/// The commands that came to the team server last: `catalogue show`, `correct` and `void`,
/// `project` (once and following) and `replay` print through the server what they print on
/// the ledger directory, exit as they exit there, and only for the roles that may.
final class ServerReadModelTests: ServedLedgerTestCase {
    func testCatalogueShowThroughTheServer() throws {
        let local = try CLI.run(["catalogue", "show", "--format", "json"], ledger: ledger)
        assertExit(local, 0, #""inForce":1"#)
        for role in ["worker", "auditor", "admin"] {
            let remote = try server.cli(["catalogue", "show", "--format", "json"], as: role)
            assertExit(remote, 0)
            XCTAssertEqual(remote.stdout, local.stdout, role)
        }
        let text = try server.cli(["catalogue"], as: "worker")
        assertExit(text, 0, "catalogue 1 in force")
        XCTAssertEqual(text.stdout, try CLI.run(["catalogue"], ledger: ledger).stdout)
        assertExit(try server.cli(["catalogue", "show"], as: "analyst"), 7, "this needs the role")
    }

    func testCorrectAndVoidThroughTheServer() throws {
        let contact = ["append", "contact.recorded", "--stream", "contact-fix-1", "--neighbourhood", "BU00340102",
                       "--field", "mode=home_visit", "--field", "topics=money", "--field", "minutes=45"]
        assertExit(try server.cli(contact, as: "worker"), 0, "appended at position 5")
        assertExit(try server.cli(["correct", "5", "--reason", "it took 20 minutes", "--field", "minutes=20"], as: "worker"), 0,
                   "appended at position 6: amend of position 5 (contact.recorded)")
        // Refused as locally, with the same codes.
        for (arguments, code, words) in [(["correct", "99", "--reason", "r", "--field", "minutes=1"], Int32(3), "no event at position 99"),
                                         (["correct", "1", "--reason", "r", "--field", "role=worker"], 3, "membership changes with"),
                                         (["correct", "6", "--reason", "r", "--field", "minutes=1"], 3, "is itself a correction"),
                                         (["correct", "5", "--reason", "r", "--field", "colour=red"], 3, "has no such field"),
                                         (["correct", "5", "--reason", "r", "--field", "minutes=lots"], 2, "--field minutes=lots: expected a number"),
                                         (["correct", "5", "--reason", "r", "--field", "minutes=20"], 3, "already amended to these values at position 6"),
                                         (["correct", "5", "--reason", "r"], 2, "at least one --field")] {
            assertExit(try server.cli(arguments, as: "worker"), code, words)
            assertExit(try CLI.run(arguments, ledger: ledger), code, words)
        }
        assertExit(try server.cli(["void", "5", "--reason", "r"], as: "analyst"), 7, "this needs the role worker")
        assertExit(try server.cli(["void", "5", "--reason", "r"], as: "auditor"), 7, "this needs the role worker")
        // A retry of the same request (the same id) is answered already recorded: one correction.
        let body = Data(#"{"position":5,"action":"amend","reason":"30 minutes","fields":["minutes=30"],"id":"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a77"}"#.utf8)
        let first = try server.http("POST", "/v1/corrections", token: try server.token("worker"), body: body)
        let again = try server.http("POST", "/v1/corrections", token: try server.token("worker"), body: body)
        XCTAssertEqual(first.status, 200, first.body)
        XCTAssertTrue(first.body.contains(#""status":"appended","position":7"#), first.body)
        XCTAssertEqual(again.status, 200, again.body)
        XCTAssertTrue(again.body.contains(#""status":"already_recorded","position":7"#), again.body)
        for bad in ["{not json", #"{"position":5,"action":"undo","reason":"r"}"#, #"{"action":"void","reason":"r"}"#] {
            let answer = try server.http("POST", "/v1/corrections", token: try server.token("worker"), body: Data(bad.utf8))
            XCTAssertTrue([400, 422].contains(answer.status), "\(bad): \(answer.status) \(answer.body)")
        }
        let voided = try server.cli(["void", "5", "--reason", "a visit to the wrong address", "--format", "json"], as: "worker")
        assertExit(voided, 0)
        let outcome = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(voided.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(outcome["status"] as? String, "appended")
        XCTAssertEqual(outcome["action"] as? String, "void")
        XCTAssertEqual(outcome["corrects"] as? Int, 5)
        XCTAssertEqual(outcome["position"] as? Int, 8)
        // A voided event takes no further correction, through the server as locally.
        assertExit(try server.cli(["void", "5", "--reason", "again"], as: "worker"), 3, "was voided at position 8")
        // Recorded by the member the token names, the reason sealed and opened for the
        // server's key holder; the log verifies, and the audit trail of the stream shows both.
        let log = try CLI.run(["log", "--type", "ledger.correction_recorded", "--format", "jsonl"], ledger: ledger)
        XCTAssertEqual(log.stdout.split(separator: "\n").count, 3, log.stdout)
        XCTAssertEqual(log.stdout.components(separatedBy: #""recordedBy":"m-worker""#).count - 1, 3, log.stdout)
        XCTAssertFalse(log.stdout.contains("30 minutes"), "the reason is sealed in the log")
        assertExit(try CLI.run(["show", "7"], ledger: ledger), 0, "30 minutes")
        // The corrected event as a worker sees it through the server: the same as locally.
        let shown = try server.cli(["show", "5"], as: "worker")
        assertExit(shown, 0, "VOID: voided at position 8")
        XCTAssertTrue(shown.stdout.contains("30  (was 45; amended at position 7"), shown.stdout)
        assertExit(try CLI.run(["correct", "5", "--reason", "locally, beside the server", "--field", "minutes=25"], ledger: ledger), 3,
                   "a voided event takes no further correction")
        assertExit(try CLI.run(["verify"], ledger: ledger), 0)
    }

    func testProjectAndReplayThroughTheServer() throws {
        let file = work + "/year.jsonl"
        try CLI.year(events: 3_000, seed: 21).write(to: URL(fileURLWithPath: file))
        assertExit(try CLI.run(["import", file], ledger: ledger), 0)
        // project: the server's read models brought up to date, as a local project would.
        let caught = try server.cli(["project", "--format", "json"], as: "analyst")
        assertExit(caught, 0, #""rebuilt":true"#)
        let status = try CLI.run(["project", "--status", "--format", "json"], ledger: ledger)
        XCTAssertFalse(status.stdout.contains(#/"behind":[1-9]/#), status.stdout)
        XCTAssertFalse(status.stdout.contains(#""digest":null"#), status.stdout)
        assertExit(try server.cli(["project", "referrals"], as: "analyst"), 0, "already current")
        assertExit(try server.cli(["project", "referals"], as: "analyst"), 2, "referrals")
        assertExit(try server.cli(["project"], as: "worker"), 7, "this needs the role analyst")
        // The wellbeing fold opened sealed scores on the server: recorded as the projection,
        // with the analyst named.
        assertExit(try CLI.run(["access-log", "--format", "json"], ledger: ledger), 0, "(by m-analyst)")
        // replay: the same digests through the server as on the ledger directory.
        let local = try digests(try CLI.run(["replay", "--format", "json"], ledger: ledger))
        let remote = try digests(try server.cli(["replay", "--format", "json"], as: "analyst"))
        XCTAssertEqual(remote, local)
        XCTAssertEqual(local.count, 7)
        let past = try server.cli(["replay", "--at", "1000", "--projection", "referrals"], as: "auditor")
        assertExit(past, 0, "replayed 1,000 events (as known at position 1,000) through 1 read model")
        XCTAssertTrue(past.stdout.contains(try XCTUnwrap(
            try CLI.run(["replay", "--at", "1000", "--projection", "referrals"], ledger: ledger).stdout.firstMatch(of: #/digest [0-9a-f]{16}/#).map { String($0.0) })), past.stdout)
        assertExit(try server.cli(["replay", "--check"], as: "auditor"), 0, "check: the live read models match the replay")
        assertExit(try server.cli(["replay", "--check"], as: "analyst"), 0, "check: the live read models match the replay")
        assertExit(try server.cli(["replay", "--at", "99999"], as: "analyst"), 3, "the log holds positions 1 to")
        assertExit(try server.cli(["replay", "--scratch", work + "/s"], as: "analyst"), 2, "leave it out")
        assertExit(try server.cli(["replay", "--check", "--at", "5"], as: "analyst"), 2, "leave out --at")
        assertExit(try server.cli(["replay"], as: "worker"), 7, "this needs the role analyst or auditor")
        assertExit(try server.cli(["replay"], as: "admin"), 7)
        assertExit(try CLI.run(["replay", "--check"], ledger: ledger), 0, "match the replay")
    }

    /// `project --follow` through the server: a catch-up at once, then one each time workers
    /// append, printing only the models that moved; it keeps the server's models current.
    func testProjectFollowThroughTheServer() throws {
        let follower = Process()
        follower.executableURL = CLI.binaries.appendingPathComponent("buurtboek")
        follower.arguments = ["project", "--follow", "--format", "json", "referrals", "signals",
                              "--ledger", server.url, "--token-file", server.tokenFile("analyst")]
        let out = Pipe()
        follower.standardOutput = out
        follower.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try follower.run()
        defer { if follower.isRunning { follower.terminate(); follower.waitUntilExit() } }
        var seen: [[String: Any]] = []
        var buffer = ""
        func waitFor(_ count: Int) {
            let deadline = Date().addingTimeInterval(30)
            while seen.count < count, Date() < deadline {
                buffer += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
                while let end = buffer.firstIndex(of: "\n") {
                    if let object = try? JSONSerialization.jsonObject(with: Data(buffer[..<end].utf8)) as? [String: Any] { seen.append(object) }
                    buffer = String(buffer[buffer.index(after: end)...])
                }
            }
        }
        waitFor(1)
        let names = { (i: Int) in ((seen[i]["models"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String } }
        XCTAssertEqual(names(0), ["referrals", "signals"], "\(seen)")
        let made = ["append", "referral.made", "--stream", "referral-follow-1", "--field", "resident_id=R000123",
                    "--field", "target_organisation=org-schuldhulp-noord", "--field", "service=debt_help", "--field", "handover=warm",
                    "--field", "support_level=moderate", "--field", "urgency=routine"]
        assertExit(try server.cli(made, as: "worker"), 0, "appended at position 5")
        waitFor(2)
        XCTAssertEqual(seen.count, 2, "a catch-up after the append: \(seen)")
        let moved = try XCTUnwrap((seen.last?["models"] as? [[String: Any]]))
        XCTAssertTrue(moved.contains { $0["name"] as? String == "referrals" && $0["position"] as? Int == 5 && $0["scanned"] as? Int == 1 }, "\(moved)")
        // The server's models are current without anyone asking again.
        let status = try CLI.run(["project", "--status", "--format", "json", "referrals"], ledger: ledger)
        XCTAssertTrue(status.stdout.contains(#""position":5,"behind":0"#), status.stdout)
        XCTAssertTrue(follower.isRunning)
        assertExit(try CLI.run(["replay", "--check", "--projection", "referrals"], ledger: ledger), 0, "match the replay")
    }

    /// Replays (and reports, and catch-ups) fold on a thread of their own, one at a time: while
    /// three queue up, an append through the server is answered at once. On the task pool,
    /// which has a thread per core, two such folds held up every other request.
    func testLongReplaysDoNotHoldUpAppends() throws {
        let file = work + "/year.jsonl"
        try CLI.year(events: 60_000, seed: 22).write(to: URL(fileURLWithPath: file))
        assertExit(try CLI.run(["import", file], ledger: ledger), 0)
        let replays = try (0..<3).map { _ in
            let p = Process()
            p.executableURL = CLI.binaries.appendingPathComponent("buurtboek")
            p.arguments = ["replay", "--ledger", server.url, "--token-file", server.tokenFile("analyst")]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        defer { for p in replays where p.isRunning { p.terminate() } }
        Thread.sleep(forTimeInterval: 0.5)
        assertExit(try server.cli(["append", "contact.recorded", "--stream", "contact-busy-1", "--field", "mode=drop_in",
                                   "--field", "topics=money", "--field", "minutes=5"], as: "worker"), 0, "appended at position")
        XCTAssertGreaterThanOrEqual(replays.filter(\.isRunning).count, 2, "the append waited for the replays")
        for p in replays {
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0)
        }
    }

    private func digests(_ result: CLI.Result, file: StaticString = #filePath, line: UInt = #line) throws -> [String: String] {
        assertExit(result, 0, file: file, line: line)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        var out: [String: String] = [:]
        for model in object["models"] as? [[String: Any]] ?? [] { out[model["name"] as? String ?? ""] = model["digest"] as? String }
        return out
    }
}
