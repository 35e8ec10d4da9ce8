import Foundation
import XCTest

final class AuditCommandTests: LedgerTestCase {
    var key = "", pub = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        assertExit(try CLI.run(["key", "generate", "--origin", "buurtboek.example/test", "--out", work + "/signer"]), 0)
        key = work + "/signer.key"
        pub = work + "/signer.pub"
    }

    func append(_ args: [String]) throws {
        assertExit(try CLI.run(["append"] + args, ledger: ledger), 0)
    }

    func contacts(_ range: ClosedRange<Int>) throws {
        var lines = ""
        for i in range { lines += #"{"type":"contact.recorded","stream":"contact-\#(i)","data":{"mode":"street","topics":["safety"]}}"# + "\n" }
        assertExit(try CLI.run(["import", "-"], ledger: ledger, input: Data(lines.utf8)), 0)
    }

    /// A referral whose first contact is dated before its acceptance. The writer refuses that
    /// now, so the history is one kept from before that rule: recorded in order in a scratch
    /// ledger, its export's time changed, and restored (a restore puts back what was recorded).
    func referral() throws {
        let scratch = CLI.temporary("scratch")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try CLI.run(["init", "--ledger", scratch])
        var events = try CLI.run(["export"], ledger: ledger).stdout
        assertExit(try CLI.run(["import", "--restore", "-"], ledger: scratch, input: Data(events.utf8)), 0)
        let first = try CLI.run(["log", "--format", "jsonl"], ledger: scratch).stdout.split(separator: "\n").count + 1
        func append(_ args: [String]) throws { assertExit(try CLI.run(["append"] + args, ledger: scratch), 0) }
        try append(["referral.made", "--stream", "referral-1", "--field", "resident_id=R000200", "--field", "target_organisation=org-ggd",
                    "--field", "service=mental_health", "--field", "handover=warm", "--field", "support_level=light", "--field", "urgency=routine",
                    "--field", "due_date=2020-01-01", "--occurred-at", "2019-12-01T10:00:00Z"])
        try append(["referral.accepted", "--stream", "referral-1", "--occurred-at", "2019-12-05T10:00:00Z"])
        try append(["referral.first_contact_made", "--stream", "referral-1", "--field", "accompanied_by_referrer=false",
                    "--field", "mode=phone", "--occurred-at", "2019-12-06T10:00:00Z"])
        events = try CLI.run(["export"], ledger: scratch).stdout
        var lines = events.split(separator: "\n").map(String.init)
        let last = first + 1
        lines[last] = lines[last].replacingOccurrences(of: "2019-12-06T10:00:00Z", with: "2019-12-03T10:00:00Z")
            .replacingOccurrences(of: #","leafHash":"[0-9a-f]{64}""#, with: "", options: .regularExpression)
        // The ledger under test starts again from the same events, with the referral, and keeps
        // its key store (the sealed fields restored are sealed under its keys).
        let keys = scratch + "-keystore"
        let hasKeys = FileManager.default.fileExists(atPath: ledger + "/keystore")
        if hasKeys { try FileManager.default.moveItem(atPath: ledger + "/keystore", toPath: keys) }
        try FileManager.default.removeItem(atPath: ledger)
        assertExit(try CLI.run(["import", "--restore", "-"], ledger: ledger, input: Data((lines.joined(separator: "\n") + "\n").utf8)), 0)
        if hasKeys {
            try? FileManager.default.removeItem(atPath: ledger + "/keystore")
            try FileManager.default.moveItem(atPath: keys, toPath: ledger + "/keystore")
        }
    }

    func testCheckpointsProofsAndARewrittenHistory() throws {
        assertExit(try CLI.run(["checkpoint"], ledger: ledger), 2, "needs a signer key")
        try contacts(1...5)
        chmod(key, 0o644)
        assertExit(try CLI.run(["checkpoint", "--key", key], ledger: ledger), 5, "readable by group or others")
        chmod(key, 0o600)
        let first = try CLI.run(["checkpoint", "--key", key], ledger: ledger)
        assertExit(first, 0, "buurtboek.example/test\n5\n")
        try first.stdout.write(toFile: work + "/cp5.txt", atomically: true, encoding: .utf8)
        try contacts(6...17)
        assertExit(try CLI.run(["checkpoint", "--key", key], ledger: ledger), 0, "proven consistent with checkpoint 5")
        assertExit(try CLI.run(["checkpoint", "list"], ledger: ledger), 0, "17 ")
        assertExit(try CLI.run(["checkpoint", "show", "5"], ledger: ledger), 0, first.stdout)
        assertExit(try CLI.run(["verify", "--checkpoint", work + "/cp5.txt", "--public-key", pub], ledger: ledger), 0, "extends checkpoint 5")

        // Proofs at sizes 1, 2, 2^k, 2^k + 1 and the edge cases.
        for (position, size) in [(1, 1), (2, 2), (3, 8), (9, 9), (16, 16), (17, 17)] {
            let proof = try CLI.run(["prove", "inclusion", String(position), "--size", String(size), "--format", "json"], ledger: ledger)
            assertExit(proof, 0)
            let object = try JSONSerialization.jsonObject(with: Data(proof.stdout.utf8)) as! [String: Any]
            XCTAssertEqual((object["proof"] as! [String]).count, pathLength(position - 1, size), "\(position) in \(size)")
        }
        assertExit(try CLI.run(["prove", "inclusion", "18"], ledger: ledger), 3, "not within a tree of size 17")
        assertExit(try CLI.run(["prove", "consistency", "0", "5"], ledger: ledger), 3, "proves nothing")
        assertExit(try CLI.run(["prove", "consistency", "5", "5"], ledger: ledger), 0)
        XCTAssertFalse(try CLI.run(["prove", "consistency", "5", "5"], ledger: ledger).stdout.contains("proof[0]"), "equal sizes: an empty proof")
        assertExit(try CLI.run(["prove", "consistency", "6", "5"], ledger: ledger), 3, "must not exceed")

        // A forged checkpoint, and a log truncated and re-appended with other events.
        let forged = first.stdout.replacingOccurrences(of: "\n5\n", with: "\n4\n")
        try forged.write(toFile: work + "/forged.txt", atomically: true, encoding: .utf8)
        assertExit(try CLI.run(["verify", "--checkpoint", work + "/forged.txt", "--public-key", pub], ledger: ledger), 6, "does not verify")
        let export = try CLI.run(["export", "--to", "3"], ledger: ledger).stdout
        let rewritten = CLI.temporary("rewritten")
        defer { try? FileManager.default.removeItem(atPath: rewritten) }
        try CLI.run(["init", "--ledger", rewritten])
        assertExit(try CLI.run(["import", "--restore", "-"], ledger: rewritten, input: Data(export.utf8)), 0)
        for i in 100...110 {
            try CLI.run(["append", "contact.recorded", "--stream", "contact-other-\(i)", "--field", "mode=phone", "--field", "topics=money"], ledger: rewritten)
        }
        assertExit(try CLI.run(["verify"], ledger: rewritten), 0, "verified 14 events")
        assertExit(try CLI.run(["verify", "--checkpoint", work + "/cp5.txt", "--public-key", pub], ledger: rewritten), 6, "history was rewritten")
    }

    func testAuditTrailAnomaliesCorrectionsAndBundles() throws {
        assertExit(try CLI.run(["append", "consent.given", "--stream", "resident-R000200", "--field", "scope=store_contact_data",
                                "--field", "method=verbal"], ledger: ledger), 0)
        try referral()
        assertExit(try CLI.run(["correct", "4", "--reason", "het was een huisbezoek", "--field", "mode=home_visit"], ledger: ledger), 0, "amend of position 4")
        assertExit(try CLI.run(["correct", "4", "--reason", "x", "--field", "colour=red"], ledger: ledger), 3, "has no such field")
        let json = try CLI.run(["audit", "referral", "referral-1", "--format", "json"], ledger: ledger)
        assertExit(json, 0)
        let audit = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let events = audit["events"] as! [[String: Any]]
        XCTAssertEqual(events.map { $0["stateAfter"] as? String }, ["REQUESTED", "ACCEPTED", "IN_PROGRESS"])
        XCTAssertEqual(events[2]["corrections"] as? [Int], [5])
        XCTAssertTrue(events.allSatisfy { $0["inclusionProof"] is NSNull }, "no checkpoint yet")
        let kinds = Set((audit["anomalies"] as! [[String: Any]]).map { $0["kind"] as! String })
        XCTAssertEqual(kinds, ["out_of_order", "recorded_late", "overdue", "warm_handover_unaccompanied"])
        let text = try CLI.run(["audit", "referral", "referral-1"], ledger: ledger)
        assertExit(text, 0, "amend of position 4, new values {\"mode\":\"home_visit\"}")

        // Bundles: none before a checkpoint; then one that verifies offline, and tampered ones that do not.
        assertExit(try CLI.run(["audit", "referral", "referral-1", "--bundle", work + "/b.json"], ledger: ledger), 3, "no checkpoint yet")
        assertExit(try CLI.run(["checkpoint", "--key", key], ledger: ledger), 0)
        try referralContinued()
        assertExit(try CLI.run(["checkpoint", "--key", key], ledger: ledger), 0)
        assertExit(try CLI.run(["audit", "referral", "referral-1", "--bundle", work + "/b.json", "--since-checkpoint", "5"], ledger: ledger), 0)
        let ok = try python([work + "/b.json", "--public-key", pub])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stdout.contains("5 events, complete (versions 1-5)") && ok.stdout.contains("state CLOSED") && ok.stdout.contains("consistent with checkpoint 5"), ok.stdout)

        let bundle = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/b.json"))) as! [String: Any]
        func tampered(_ name: String, _ change: (inout [String: Any]) -> Void) throws -> CLI.Result {
            var copy = bundle
            change(&copy)
            let path = work + "/\(name).json"
            try JSONSerialization.data(withJSONObject: copy).write(to: URL(fileURLWithPath: path))
            return try python([path])
        }
        var cases: [(String, String, (inout [String: Any]) -> Void)] = []
        cases.append(("altered", "position", { b in
            var events = b["events"] as! [[String: Any]]
            var raw = Data(base64Encoded: events[1]["record"] as! String)!
            raw[raw.count - 3] ^= 1
            events[1]["record"] = raw.base64EncodedString()
            b["events"] = events
        }))
        cases.append(("swapped-proofs", "proof is for another position", { b in
            var events = b["events"] as! [[String: Any]]
            let proof = events[0]["inclusionProof"]
            events[0]["inclusionProof"] = events[1]["inclusionProof"]
            events[1]["inclusionProof"] = proof
            b["events"] = events
        }))
        cases.append(("forged", "does not verify", { b in
            b["checkpoint"] = (b["checkpoint"] as! String).replacingOccurrences(of: "\n11\n", with: "\n12\n")
        }))
        cases.append(("incomplete", "incomplete", { b in
            var events = b["events"] as! [[String: Any]]
            events.remove(at: 2)
            b["events"] = events
        }))
        for (name, fragment, change) in cases {
            let result = try tampered(name, change)
            XCTAssertEqual(result.status, 1, "\(name): \(result.stdout)\(result.stderr)")
            XCTAssertTrue(result.stderr.contains(fragment), "\(name): \(result.stderr)")
        }
        let other = work + "/other"
        try CLI.run(["key", "generate", "--origin", "buurtboek.example/test", "--out", other])
        XCTAssertEqual(try python([work + "/b.json", "--public-key", other + ".pub"]).status, 1, "pinned to another key")
    }

    func testSignalAndResidentAudits() throws {
        try append(["signal.raised", "--stream", "signal-9", "--field", "category=playground", "--field", "raised_by=resident",
                    "--field", "description=De glijbaan is kapot", "--occurred-at", "2020-03-01T10:00:00Z"])
        try append(["signal.escalated", "--stream", "signal-9", "--field", "recipient=city_public_space", "--field", "level=1",
                    "--field", "response_due=2020-04-01"])
        let signal = try CLI.run(["audit", "signal", "signal-9"], ledger: ledger)
        assertExit(signal, 0, "response_overdue")
        XCTAssertTrue(signal.stdout.contains("ESCALATED"))
        XCTAssertTrue(signal.stdout.contains("personal: {\"description\":\"De glijbaan is kapot\"}"), signal.stdout)
        try referral()
        let resident = try CLI.run(["audit", "resident", "R000200", "--format", "json"], ledger: ledger)
        assertExit(resident, 0)
        let object = try JSONSerialization.jsonObject(with: Data(resident.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(object["streams"] as? [String], ["resident-R000200", "referral-1"])
        XCTAssertEqual((object["events"] as! [Any]).count, 3)
        assertExit(try CLI.run(["access-log", "--resident", "R000200"], ledger: ledger), 0, "audit resident R000200")
        assertExit(try CLI.run(["audit", "referral", "referral-404"], ledger: ledger), 3, "no referral referral-404")
        assertExit(try CLI.run(["audit", "contract", "x"], ledger: ledger), 2, "referral, signal or resident")
    }

    /// The length of RFC 9162's PATH(m, D[n]): one hash per split on the way down.
    func pathLength(_ m: Int, _ n: Int) -> Int {
        guard n > 1 else { return 0 }
        var k = 1
        while k << 1 < n { k <<= 1 }
        return 1 + (m < k ? pathLength(m, k) : pathLength(m - k, n - k))
    }

    func referralContinued() throws {
        try append(["referral.completed", "--stream", "referral-1", "--field", "outcome=goal_reached"])
        try append(["referral.closed", "--stream", "referral-1", "--field", "reason=completed", "--field", "feedback_to_referrer_sent=true"])
        try contacts(1...4)
    }

    func python(_ args: [String]) throws -> CLI.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tools/verify-bundle.py").path
        process.arguments = ["python3", script] + args
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}
