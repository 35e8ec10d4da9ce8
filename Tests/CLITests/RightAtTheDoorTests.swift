import Foundation
import XCTest

/// What a worker records is right when it is recorded: the neighbourhood register, values read
/// as a person means them, lifecycle order, doubles, and corrections shown where workers look.
final class RightAtTheDoorTests: LedgerTestCase {
    private func append(_ arguments: [String]) throws -> CLI.Result {
        try CLI.run(["append"] + arguments, ledger: ledger)
    }

    private let contact = ["--field", "mode=street", "--field", "topics=money", "--field", "minutes=10"]

    // MARK: The register

    func testANeighbourhoodIsAnAreaOfTheDivisionInForce() throws {
        let noord = try append(["contact.recorded", "--stream", "contact-1", "--neighbourhood", "Noord"] + contact)
        assertExit(noord, 3, "did you mean Centrum Haven Noord (BU00340101)")
        XCTAssertTrue(noord.stderr.contains("CBS buurten 2025"), "names the division in force: \(noord.stderr)")
        assertExit(try CLI.run(["log", "--format", "jsonl"], ledger: ledger), 0)
        XCTAssertEqual(try CLI.run(["log", "--format", "jsonl"], ledger: ledger).stdout, "", "nothing written")

        // A name is recorded as its code and shown back.
        let named = try append(["contact.recorded", "--stream", "contact-1", "--neighbourhood", "centrum haven noord"] + contact)
        assertExit(named, 0, "Centrum Haven Noord (BU00340101)")
        let line = try JSONSerialization.jsonObject(with: Data(try CLI.run(["log", "--format", "jsonl"], ledger: ledger).stdout.utf8)) as! [String: Any]
        XCTAssertEqual(line["neighbourhood"] as? String, "BU00340101")

        // Two areas of one name: both listed, nothing recorded.
        let both = try append(["contact.recorded", "--stream", "contact-2", "--neighbourhood", "Tuinwijk"] + contact)
        assertExit(both, 3, "11002Q14-")
        XCTAssertTrue(both.stderr.contains("11002T24-") && both.stderr.contains("Antwerpen"), both.stderr)

        // Amsterdam renumbered every buurt in 2024: an old code holds before, not after.
        assertExit(try append(["contact.recorded", "--stream", "contact-3", "--neighbourhood", "BU03630000",
                               "--occurred-at", "2023-06-01T10:00:00+02:00"] + contact), 0)
        assertExit(try append(["contact.recorded", "--stream", "contact-4", "--neighbourhood", "BU03630000",
                               "--occurred-at", "2024-06-01T10:00:00+02:00"] + contact), 3, "not a neighbourhood in the division in force on 2024-06-01")
        // Gent's sectors A521 and A531 swapped names in 2025: a name is read on the event's day.
        assertExit(try append(["contact.recorded", "--stream", "contact-5", "--neighbourhood", "Brugse Poort",
                               "--occurred-at", "2024-06-01T10:00:00+02:00"] + contact), 0, "44021A521")
        assertExit(try append(["contact.recorded", "--stream", "contact-6", "--neighbourhood", "Brugse Poort",
                               "--occurred-at", "2025-06-01T10:00:00+02:00"] + contact), 0, "44021A531")
        // Names beside codes where workers look.
        let log = try CLI.run(["log", "--wide"], ledger: ledger)
        XCTAssertTrue(log.stdout.contains("Kop Zeedijk (BU03630000)") && log.stdout.contains("Rooigem (44021A521)") == false, log.stdout)
        XCTAssertTrue(log.stdout.contains("Brugse Poort (44021A531)"), log.stdout)
        assertExit(try CLI.run(["show", "1"], ledger: ledger), 0, "Centrum Haven Noord (BU00340101)")
    }

    func testImportRefusesANeighbourhoodOutsideTheRegisterAndNamesTheNearest() throws {
        let lines = #"""
        {"type":"contact.recorded","stream":"contact-a","occurredAt":"2025-03-01T10:00:00Z","neighbourhood":"BU00340101","data":{"mode":"street","topics":["money"],"minutes":5}}
        {"type":"contact.recorded","stream":"contact-b","occurredAt":"2025-03-01T10:00:00Z","neighbourhood":"Noord","data":{"mode":"street","topics":["money"],"minutes":5}}
        """#
        let file = work + "/lines.jsonl"
        try lines.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try CLI.run(["import", file], ledger: ledger)
        assertExit(result, 3, "line 2")
        XCTAssertTrue(result.stderr.contains("/neighbourhood") && result.stderr.contains("Centrum Haven Noord (BU00340101)"), result.stderr)
    }

    func testARegisterArrivesWithACatalogueAndOldEventsKeepVerifying() throws {
        // A ledger begun with a catalogue without a register takes any code...
        let plain = work + "/schemas"
        try FileManager.default.copyItem(atPath: CLI.schemas, toPath: plain)
        var catalogue = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: plain + "/catalogue.json"))) as! [String: Any]
        catalogue["areas"] = nil
        try JSONSerialization.data(withJSONObject: catalogue).write(to: URL(fileURLWithPath: plain + "/catalogue.json"))
        let old = CLI.temporary("old-ledger")
        defer { try? FileManager.default.removeItem(atPath: old) }
        assertExit(try CLI.run(["init", "--ledger", old, "--schemas", plain]), 0)
        assertExit(try CLI.run(["append", "contact.recorded", "--stream", "contact-1", "--neighbourhood", "Noord"] + contact, ledger: old), 0)
        assertExit(try CLI.run(["areas", "check"], ledger: old), 3, "no neighbourhood register")
        // ...until the catalogue that brings one: from then on the rule holds, and what was
        // recorded before still verifies, listed by `areas check` for cleanup.
        assertExit(try CLI.run(["catalogue", "update", "--schemas", CLI.schemas], ledger: old), 0)
        assertExit(try CLI.run(["append", "contact.recorded", "--stream", "contact-2", "--neighbourhood", "Noord"] + contact, ledger: old), 3)
        assertExit(try CLI.run(["verify"], ledger: old), 0)
        let check = try CLI.run(["areas", "check"], ledger: old)
        assertExit(check, 3, "Noord")
        XCTAssertTrue(check.stdout.contains("1 of 1 events"), check.stdout)
        // A backup of it restores as it was recorded, and verify says what lies outside.
        let backup = work + "/backup.jsonl", restored = CLI.temporary("restored")
        defer { try? FileManager.default.removeItem(atPath: restored) }
        try CLI.run(["export"], ledger: old).stdout.write(toFile: backup, atomically: true, encoding: .utf8)
        assertExit(try CLI.run(["import", "--restore", backup], ledger: restored), 0)
        let verify = try CLI.run(["verify", "--format", "json"], ledger: restored)
        assertExit(verify, 0, #""neighbourhoodsOutsideDivision":1"#)
    }

    func testAnOrganisationLoadsADivisionOfItsOwn() throws {
        let file = work + "/buurten-2025.csv", next = work + "/buurten-2026.csv"
        let header = "code,name,wijk_code,wijk_name,gemeente_code,gemeente_name\n"
        try (header + "BU00349901,\"Nieuwland, Oost\",WK003499,Nieuwland,GM0034,Almere\n").write(toFile: file, atomically: true, encoding: .utf8)
        try (header + "BU00349902,Nieuwland-Oost,WK003499,Nieuwland,GM0034,Almere\n").write(toFile: next, atomically: true, encoding: .utf8)
        assertExit(try CLI.run(["areas", "import", file, "--valid-from", "2025-01-01", "--series", "almere-eigen"], ledger: ledger), 0, "catalogue 2 is now in force")
        assertExit(try CLI.run(["areas", "import", next, "--valid-from", "2026-01-01", "--series", "almere-eigen"], ledger: ledger), 0, "catalogue 3 is now in force")
        // Each division holds from its day until the next of its series.
        assertExit(try append(["contact.recorded", "--stream", "contact-1", "--neighbourhood", "Nieuwland, Oost",
                               "--occurred-at", "2025-06-01T10:00:00Z"] + contact), 0, "BU00349901")
        assertExit(try append(["contact.recorded", "--stream", "contact-2", "--neighbourhood", "BU00349901",
                               "--occurred-at", "2026-06-01T10:00:00Z"] + contact), 3, "did you mean Nieuwland-Oost (BU00349902)")
        assertExit(try append(["contact.recorded", "--stream", "contact-2", "--neighbourhood", "nieuwland-oost"] + contact), 0, "BU00349902")
        assertExit(try CLI.run(["areas", "list"], ledger: ledger), 0, "almere-eigen")
        let bad = work + "/bad.csv"
        try "code,name\nBU1,Een\nBU1,Twee\n".write(toFile: bad, atomically: true, encoding: .utf8)
        assertExit(try CLI.run(["areas", "import", bad, "--valid-from", "2026-02-01", "--series", "x"], ledger: ledger), 3, "line 3: BU1 appears twice")
        assertExit(try CLI.run(["areas", "find", "nieuwland", "--on", "2025-03-01"], ledger: ledger), 0, "BU00349901")
        assertExit(try CLI.run(["verify"], ledger: ledger), 0)
    }

    func testReportsNameTheirNeighbourhoodsAndMapOldCodesThroughACrosswalk() throws {
        // Five contacts in Kop Zeedijk before Amsterdam's renumbering, five in Planciusbuurt-Noord after.
        var lines = ""
        for i in 1...5 {
            lines += #"{"type":"contact.recorded","stream":"contact-old-\#(i)","occurredAt":"2023-05-0\#(i)T10:00:00Z","neighbourhood":"BU03630000","data":{"mode":"street","topics":["money"],"minutes":5}}"# + "\n"
            lines += #"{"type":"contact.recorded","stream":"contact-new-\#(i)","occurredAt":"2024-05-0\#(i)T10:00:00Z","neighbourhood":"BU0363AA01","data":{"mode":"street","topics":["money"],"minutes":5}}"# + "\n"
        }
        assertExit(try CLI.run(["import", "-"], ledger: ledger, input: Data(lines.utf8)), 0, "10 appended")
        let before = try CLI.run(["report", "neighbourhoods", "--section", "totals", "--format", "csv"], ledger: ledger)
        assertExit(before, 0, "section,neighbourhood,name,month")
        XCTAssertTrue(before.stdout.contains("totals,BU03630000,Kop Zeedijk,all,") && before.stdout.contains("totals,BU0363AA01,Planciusbuurt-Noord,all,"), before.stdout)
        let text = try CLI.run(["report", "neighbourhoods", "--section", "totals"], ledger: ledger)
        XCTAssertTrue(text.stdout.contains("not in a crosswalk") && text.stdout.contains("BU03630000"), "an old code is named, never dropped: \(text.stdout)")
        // The organisation's crosswalk: the old buurt's events count under the new code.
        let crosswalk = work + "/amsterdam.csv"
        try "old_code,new_code\nBU03630000,BU0363AA01\n".write(toFile: crosswalk, atomically: true, encoding: .utf8)
        assertExit(try CLI.run(["areas", "crosswalk", crosswalk], ledger: ledger), 0, "1 old codes")
        let after = try CLI.run(["report", "neighbourhoods", "--section", "totals", "--format", "json"], ledger: ledger)
        assertExit(after, 0)
        let report = try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as! [String: Any]
        let rows = ((report["sections"] as! [[String: Any]])[0]["rows"] as! [[String: Any]])
        XCTAssertEqual(rows.compactMap { $0["neighbourhood"] as? String }.filter { $0 != "all" }, ["BU0363AA01"], after.stdout)
        XCTAssertEqual(rows.first?["contacts"] as? Int, 10, after.stdout)
        XCTAssertTrue(after.stdout.contains("BU03630000 → BU0363AA01"), after.stdout)
    }

    // MARK: Values

    func testNumbersWithSeparatorsAreRefusedNeverGuessed() throws {
        assertExit(try append(["initiative.proposed", "--stream", "initiative-1", "--neighbourhood", "BU00340101",
                               "--field", "title=Kerstmarkt", "--field", "theme=christmas_market"]), 0)
        let funding = ["initiative.funding_decided", "--stream", "initiative-1", "--field", "decision=granted", "--field", "funder=city_fund"]
        assertExit(try append(funding + ["--field", "amount_requested=1.500"]), 2, "write 1500 for thousands or 1.5 for a fraction")
        assertExit(try append(funding + ["--field", "amount_requested=1,500"]), 2, "write 1500 for thousands")
        assertExit(try append(funding + ["--field", "amount_requested=1500,00"]), 2, "write 1500 or 1500.00")
        assertExit(try append(["contact.recorded", "--stream", "contact-1", "--neighbourhood", "BU00340101", "--field", "mode=street",
                               "--field", "topics=money", "--field", "minutes=1.5"]), 2, "takes a whole number")
        let stored = try append(funding + ["--field", "amount_requested=1500.50"])
        assertExit(stored, 0, "amount_requested")
        XCTAssertTrue(stored.stdout.contains("1500.5"), "shown back as stored: \(stored.stdout)")
        // JSON keeps JSON's numbers.
        assertExit(try append(["initiative.proposed", "--stream", "initiative-2", "--neighbourhood", "BU00340101",
                               "--field", "title=Repaircafé", "--field", "theme=repair_cafe"]), 0)
        let json = #"{"decision":"partial","funder":"foundation","amount_requested":1.5}"#
        assertExit(try append(["initiative.funding_decided", "--stream", "initiative-2", "--data", json]), 0)
        let shown = try CLI.run(["show", "4", "--format", "json"], ledger: ledger).stdout
        XCTAssertTrue(shown.contains(#""amount_requested":1.5"#), shown)
    }

    // MARK: Order and doubles

    func testALifecycleStepCannotOccurBeforeTheStepItFollows() throws {
        let made = ["referral.made", "--stream", "referral-1", "--neighbourhood", "BU00340101", "--field", "resident_id=R000123",
                    "--field", "target_organisation=org-schuldhulp", "--field", "service=debt_help", "--field", "handover=warm",
                    "--field", "support_level=moderate", "--field", "urgency=soon", "--occurred-at", "2026-11-30T10:00:00+01:00"]
        assertExit(try append(made), 0)
        let early = try append(["referral.accepted", "--stream", "referral-1", "--occurred-at", "2026-11-29T10:00:00+01:00"])
        assertExit(early, 3, "2026-11-29T09:00:00Z")
        XCTAssertTrue(early.stderr.contains("before referral.made at position 1 (2026-11-30T09:00:00Z)"), early.stderr)
        assertExit(try append(["referral.accepted", "--stream", "referral-1", "--occurred-at", "2026-11-30T11:00:00+01:00"]), 0)
        let nextYear = try append(["contact.recorded", "--stream", "contact-1", "--neighbourhood", "BU00340101", "--occurred-at", "2027-12-01T10:00:00Z"] + contact)
        assertExit(nextYear, 3, "lies in the future")
    }

    func testTheSameAppendTwiceIsRefusedUnlessItHappenedAgain() throws {
        let visit = ["contact.recorded", "--stream", "contact-1", "--neighbourhood", "BU00340101"] + contact
        assertExit(try append(visit), 0)
        assertExit(try append(visit), 3, "likely recorded twice: position 1")
        assertExit(try append(visit + ["--again"]), 0, "appended at position 2")
        // A retry with the same id stays "already recorded".
        let id = "0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e6f"
        assertExit(try append(["contact.recorded", "--stream", "contact-2", "--neighbourhood", "BU00340101", "--id", id] + contact), 0)
        assertExit(try append(["contact.recorded", "--stream", "contact-2", "--neighbourhood", "BU00340101", "--id", id] + contact), 0, "already recorded at position 3")
    }

    // MARK: Corrections

    func testCorrectionsAreShownWhereWorkersLookAndNeverDoubled() throws {
        assertExit(try append(["contact.recorded", "--stream", "contact-1", "--neighbourhood", "BU00340101"] + contact), 0)
        assertExit(try append(["contact.recorded", "--stream", "contact-2", "--neighbourhood", "BU00340101"] + contact), 0)
        assertExit(try CLI.run(["correct", "1", "--reason", "het duurde 20 minuten", "--field", "minutes=20"], ledger: ledger), 0)
        assertExit(try CLI.run(["correct", "1", "--reason", "nog eens", "--field", "minutes=20"], ledger: ledger), 3, "already amended to these values at position 3")
        assertExit(try CLI.run(["void", "2", "--reason", "dubbel ingevoerd"], ledger: ledger), 0)
        assertExit(try CLI.run(["void", "2", "--reason", "dubbel ingevoerd"], ledger: ledger), 3, "was voided at position 4")
        assertExit(try CLI.run(["correct", "2", "--reason", "x", "--field", "minutes=5"], ledger: ledger), 3, "takes no further correction")

        let amended = try CLI.run(["show", "1"], ledger: ledger)
        assertExit(amended, 0, "20  (was 10; amended at position 3")
        XCTAssertTrue(amended.stdout.contains("het duurde 20 minuten"), amended.stdout)
        assertExit(try CLI.run(["show", "2"], ledger: ledger), 0, "VOID: voided at position 4")
        let json = try JSONSerialization.jsonObject(with: Data(try CLI.run(["show", "1", "--format", "json"], ledger: ledger).stdout.utf8)) as! [String: Any]
        XCTAssertEqual((json["corrections"] as? [[String: Any]])?.first?["position"] as? Int, 3)

        let log = try CLI.run(["log", "--wide"], ledger: ledger).stdout.split(separator: "\n")
        XCTAssertTrue(log.contains { $0.hasPrefix("  1  A ") }, log.joined(separator: "\n"))
        XCTAssertTrue(log.contains { $0.hasPrefix("  2  V ") }, log.joined(separator: "\n"))
        let lines = try CLI.run(["log", "--format", "jsonl"], ledger: ledger).stdout.split(separator: "\n")
            .map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(lines[0]["corrected"] as? String, "amended")
        XCTAssertEqual(lines[1]["corrected"] as? String, "voided")
        XCTAssertEqual(lines[1]["correctedBy"] as? Int, 4)
        let current = try CLI.run(["log", "--current", "--format", "jsonl"], ledger: ledger).stdout
        XCTAssertFalse(current.contains(#""position":2,"#), "voided events left out")
        XCTAssertTrue(current.contains(#""position":1,"#))
        let stream = try JSONSerialization.jsonObject(with: Data(try CLI.run(["stream", "contact-2", "--format", "json"], ledger: ledger).stdout.utf8)) as! [String: Any]
        XCTAssertEqual((stream["events"] as? [[String: Any]])?.first?["corrected"] as? String, "voided")
        assertExit(try CLI.run(["verify"], ledger: ledger), 0)
    }

    // MARK: The generated year

    func testTheGeneratedYearUsesRealAreasAndRunsToItsEnd() throws {
        let year = try CLI.year(events: 3_000, seed: 5)
        let lines = year.split(separator: 10)
        XCTAssertEqual(lines.count, 3_000)
        let last = try JSONSerialization.jsonObject(with: Data(lines.last!)) as! [String: Any]
        XCTAssertGreaterThanOrEqual(last["occurredAt"] as? String ?? "", "2025-12-20", "the year runs to its last weeks")
        let file = work + "/year.jsonl"
        try year.write(to: URL(fileURLWithPath: file))
        assertExit(try CLI.run(["import", file], ledger: ledger), 0, "0 refused")
        assertExit(try CLI.run(["areas", "check"], ledger: ledger), 0, "all 3,000 events")
    }
}
