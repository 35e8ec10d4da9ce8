import Foundation
import XCTest

/// The privacy gaps a new user found in wave 1, each tried through the CLI.
final class PrivacyGapTests: LedgerTestCase {

    let reason = "Mevrouw Quist belt over een huurachterstand"

    /// A referral about R000777, who has no stream of their own.
    func referAResidentWithoutAStream() throws {
        assertExit(try CLI.run(["append", "referral.made", "--stream", "referral-2024-0901", "--field", "resident_id=R000777",
                                "--field", "target_organisation=org-schuldhulp-noord", "--field", "service=debt_help",
                                "--field", "handover=signpost", "--field", "support_level=light", "--field", "urgency=routine",
                                "--field", "reason=\(reason)"], ledger: ledger), 0)
    }

    func testAResidentNamedOnlyInResidentIdCanBeErased() throws {
        try referAResidentWithoutAStream()
        // A later event elsewhere that names them, in a stream whose first event did not.
        assertExit(try CLI.run(["append", "contact.recorded", "--stream", "contact-77", "--field", "mode=phone", "--field", "topics=money"], ledger: ledger), 0)
        assertExit(try CLI.run(["append", "contact.recorded", "--stream", "contact-77", "--field", "mode=phone", "--field", "topics=money",
                                "--field", "resident_id=R000777", "--field", "summary=Belde terug over de afspraak"], ledger: ledger), 0)
        assertExit(try CLI.run(["show", "1"], ledger: ledger), 0, reason)
        let erased = try CLI.run(["erase", "resident", "R000777", "--request", "AVG-2024-031"], ledger: ledger)
        assertExit(erased, 0, "erased resident R000777")
        for position in ["1", "3"] {
            let show = try CLI.run(["show", position], ledger: ledger)
            assertExit(show, 0, "[erased]")
            XCTAssertFalse(show.stdout.contains(reason) || show.stdout.contains("Belde terug"), show.stdout)
            XCTAssertFalse(show.stdout.contains("[key missing]"), show.stdout)
        }
        assertExit(try CLI.run(["verify"], ledger: ledger), 0, "verified 4 events")
        assertExit(try CLI.run(["append", "referral.accepted", "--stream", "referral-2024-0901"], ledger: ledger), 3, "erased resident")
        assertExit(try CLI.run(["append", "contact.recorded", "--stream", "contact-78", "--field", "mode=phone", "--field", "topics=money",
                                "--field", "resident_id=R000777"], ledger: ledger), 3, "resident R000777 was erased")
        // Nobody the ledger never heard of can be "erased".
        assertExit(try CLI.run(["erase", "resident", "R000999", "--request", "AVG-x"], ledger: ledger), 3, "no resident R000999")
    }

    func testACorrectionsPersonalFieldsGoWithTheResident() throws {
        try referAResidentWithoutAStream()
        assertExit(try CLI.run(["correct", "1", "--reason", "de naam was fout: mevrouw De Vries", "--field", "reason=Mevrouw De Vries belt"], ledger: ledger), 0)
        assertExit(try CLI.run(["show", "2"], ledger: ledger), 0, "mevrouw De Vries")
        assertExit(try CLI.run(["erase", "resident", "R000777", "--request", "AVG-2024-032"], ledger: ledger), 0, "2 data keys destroyed")
        let show = try CLI.run(["show", "2"], ledger: ledger)
        assertExit(show, 0, "[erased]")
        XCTAssertFalse(show.stdout.contains("De Vries"), show.stdout)
    }

    /// Every file and directory under `path` that is not owner-only.
    func looseModes(under path: String) throws -> [String] {
        var loose: [String] = []
        var paths = [path]
        for rel in FileManager.default.enumerator(atPath: path)?.compactMap({ $0 as? String }) ?? [] { paths.append(path + "/" + rel) }
        for full in paths {
            let attributes = try FileManager.default.attributesOfItem(atPath: full)
            let mode = (attributes[.posixPermissions] as! NSNumber).intValue
            let isDirectory = attributes[.type] as? FileAttributeType == .typeDirectory
            if mode != (isDirectory ? 0o700 : 0o600) { loose.append("\(full) \(String(mode, radix: 8))") }
        }
        return loose
    }

    func testEveryFileOfALedgerStaysOwnerOnly() throws {
        var steps: [(String, [String])] = [("init", [])]
        try steps.append(("append", looseModes(under: ledger)))
        try referAResidentWithoutAStream()
        try steps.append(("append", looseModes(under: ledger)))
        let year = work + "/year.jsonl"
        try CLI.year(events: 2_000, seed: 5).write(to: URL(fileURLWithPath: year))
        assertExit(try CLI.run(["import", year], ledger: ledger), 0)
        try steps.append(("import", looseModes(under: ledger)))
        assertExit(try CLI.run(["project"], ledger: ledger), 0)
        try steps.append(("project", looseModes(under: ledger)))
        assertExit(try CLI.run(["erase", "resident", "R000777", "--request", "AVG-1"], ledger: ledger), 0)
        try steps.append(("erase", looseModes(under: ledger)))
        let schemas = try editedCatalogue()
        assertExit(try CLI.run(["catalogue", "update", "--schemas", schemas], ledger: ledger), 0, "is now in force")
        try steps.append(("catalogue update", looseModes(under: ledger)))
        let backup = work + "/backup.jsonl"
        try Data(try CLI.run(["export"], ledger: ledger).stdout.utf8).write(to: URL(fileURLWithPath: backup))
        let restored = work + "/restored.ledger"
        assertExit(try CLI.run(["import", "--restore", "--ledger", restored, backup]), 0)
        try steps.append(("restore", looseModes(under: restored)))
        for (step, loose) in steps { XCTAssertEqual(loose, [], "after \(step)") }
    }

    /// The default catalogue with one description changed: a new catalogue to put in force.
    func editedCatalogue() throws -> String {
        let copy = work + "/Schemas"
        try FileManager.default.copyItem(atPath: CLI.schemas, toPath: copy)
        let file = copy + "/contact.recorded.v1.json"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "\"title\": \"contact.recorded\"", with: "\"title\": \"contact.recorded (edited)\"")
            .write(toFile: file, atomically: true, encoding: .utf8)
        return copy
    }

    func testAMissingKeyIsNotAnErasure() throws {
        try referAResidentWithoutAStream()
        assertExit(try CLI.run(["append", "resident.joined_network", "--stream", "resident-R000778", "--field", "network_id=network-BU1",
                                "--field", "role=member", "--field", "how_reached=outreach", "--field", "name=Anouk Bakker"], ledger: ledger), 0)
        assertExit(try CLI.run(["erase", "resident", "R000778", "--request", "AVG-2"], ledger: ledger), 0)
        let backup = work + "/backup.jsonl"
        try Data(try CLI.run(["export"], ledger: ledger).stdout.utf8).write(to: URL(fileURLWithPath: backup))
        let restored = work + "/restored.ledger"
        assertExit(try CLI.run(["import", "--restore", "--ledger", restored, backup]), 0)
        // Restored without its keystore/: the referral's key was never erased, only not brought.
        let missing = try CLI.run(["show", "1"], ledger: restored)
        assertExit(missing, 0, "[key missing]")
        XCTAssertFalse(missing.stdout.contains("[erased]"), missing.stdout)
        XCTAssertTrue(missing.stderr.contains("restore keystore/"), missing.stderr)
        // The erased resident reads [erased]: the log holds their erasure.
        let erased = try CLI.run(["show", "2"], ledger: restored)
        assertExit(erased, 0, "[erased]")
        XCTAssertFalse(erased.stdout.contains("[key missing]"), erased.stdout)
        // With the key store copied back, the referral reads in clear again.
        try FileManager.default.removeItem(atPath: restored + "/keystore")
        try FileManager.default.copyItem(atPath: ledger + "/keystore", toPath: restored + "/keystore")
        assertExit(try CLI.run(["show", "1"], ledger: restored), 0, reason)
        // A wrong master key is a third fact, refused with its own message.
        let other = work + "/other.key"
        assertExit(try CLI.run(["key", "master", "--out", other]), 0)
        assertExit(try CLI.run(["show", "1", "--master-key", other], ledger: ledger), 5, "does not match this ledger's key store")
    }

    func testFoldingWellbeingIsRecordedAndCorrectionsOfScoresApply() throws {
        assertExit(try CLI.run(["append", "consent.given", "--stream", "resident-R000801", "--field", "scope=measure_wellbeing",
                                "--field", "method=written"], ledger: ledger), 0)
        for (moment, score, day) in [("baseline", "21", "2025-01-05"), ("follow_up", "25", "2025-03-05")] {
            assertExit(try CLI.run(["append", "wellbeing.measured", "--stream", "resident-R000801", "--field", "instrument=swemwbs",
                                    "--field", "moment=\(moment)", "--field", "score=\(score)", "--occurred-at", day + "T10:00:00Z"], ledger: ledger), 0)
        }
        func change() throws -> Double? {
            let result = try CLI.run(["report", "wellbeing", "--suppress-below", "1", "--format", "json"], ledger: ledger)
            assertExit(result, 0)
            let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
            let rows = ((json["sections"] as! [[String: Any]])[0]["rows"] as! [[String: Any]])
            return rows.first?["mean change"] as? Double
        }
        XCTAssertEqual(try change(), 4)
        let log = try CLI.run(["access-log", "--resident", "R000801"], ledger: ledger)
        assertExit(log, 0, "projection:wellbeing")
        XCTAssertTrue(log.stdout.contains("report wellbeing"), log.stdout)
        // A corrected score reaches the read model, as other corrections do.
        assertExit(try CLI.run(["correct", "3", "--reason", "typo", "--field", "score=30"], ledger: ledger), 0)
        XCTAssertEqual(try change(), 9)
        assertExit(try CLI.run(["replay", "--check"], ledger: ledger), 0, "match the replay")
        let projected = try CLI.run(["project", "--rebuild", "wellbeing"], ledger: ledger)
        assertExit(projected, 0)
        XCTAssertTrue(try CLI.run(["access-log"], ledger: ledger).stdout.contains("project --rebuild wellbeing"))
    }
}
