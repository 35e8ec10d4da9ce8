import Foundation
import XCTest

final class WorkerCommandTests: LedgerTestCase {

    func testInitMakesAPrivateDirectoryAndRefusesAnExistingLedger() throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: ledger)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o700)
        let data = try FileManager.default.attributesOfItem(atPath: ledger + "/data.mdb")
        XCTAssertEqual((data[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        assertExit(try CLI.run(["init", "--ledger", ledger]), 5, "already holds a ledger")
    }

    func testAWorkersDay() throws {
        let made = try CLI.run(["append", "referral.made", "--stream", "referral-2024-0042", "--neighbourhood", "BU00340102",
                                "--field", "resident_id=R000123", "--field", "target_organisation=org-schuldhulp-noord",
                                "--field", "service=debt_help", "--field", "handover=warm", "--field", "support_level=moderate", "--field", "urgency=routine",
                                "--field", "shares_data=no", "--field", "reason=Huurachterstand sinds maart",
                                "--occurred-at", "2024-03-05T14:30:00+01:00"], ledger: ledger)
        assertExit(made, 0, "appended at position 1")
        assertExit(try CLI.run(["append", "referral.accepted", "--stream", "referral-2024-0042", "--expect-version", "1", "--format", "json"], ledger: ledger), 0, #""position":2"#)
        let json = #"{"accompanied_by_referrer": true, "mode": "in_person"}"#
        assertExit(try CLI.run(["append", "referral.first_contact_made", "--stream", "referral-2024-0042", "--data", "-"], ledger: ledger, input: Data(json.utf8)), 0)

        let stream = try CLI.run(["stream", "referral-2024-0042"], ledger: ledger)
        assertExit(stream, 0, "IN_PROGRESS")
        XCTAssertTrue(stream.stdout.contains("referral.completed"), "names the next allowed events")
        let show = try CLI.run(["show", "1"], ledger: ledger)
        assertExit(show, 0, "2024-03-05T13:30:00Z")
        XCTAssertTrue(show.stdout.contains("[I]  Huurachterstand sinds maart"))
        let log = try CLI.run(["log", "--format", "jsonl", "--type", "referral.accepted"], ledger: ledger)
        assertExit(log, 0)
        let line = try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(line["position"] as? Int, 2)
        XCTAssertEqual(line["streamVersion"] as? Int, 2)
        XCTAssertEqual((line["leafHash"] as? String)?.count, 64)
        XCTAssertEqual(line["recordedBy"] as? String, "w-test")
        let reversed = try CLI.run(["log", "--reverse", "--limit", "1"], ledger: ledger)
        XCTAssertTrue(reversed.stdout.contains("referral.first_contact_made") && !reversed.stdout.contains("referral.made "))
        assertExit(try CLI.run(["log", "--since", "2024-03-05", "--until", "2024-03-05"], ledger: ledger), 0, "referral.made")
        assertExit(try CLI.run(["types", "referral.made"], ledger: ledger), 0, "handover")
        assertExit(try CLI.run(["stats"], ledger: ledger), 0, "events        3 in 1 streams")
        assertExit(try CLI.run(["verify"], ledger: ledger), 0, "verified 3 events")
    }

    /// A catalogue update changes the referral lifecycle: completing straight from ACCEPTED is
    /// allowed from then on, and accepting is no longer. verify replays each event under the
    /// catalogue in force at its position, so both the earlier acceptance and the later
    /// completion pass (under either catalogue alone, one of them would be refused).
    func testVerifyReplaysEachEventUnderTheCatalogueOfItsTime() throws {
        let made = ["append", "referral.made", "--field", "resident_id=R000123", "--field", "target_organisation=org-schuldhulp-noord",
                    "--field", "service=debt_help", "--field", "handover=warm", "--field", "support_level=moderate", "--field", "urgency=routine"]
        assertExit(try CLI.run(made + ["--stream", "referral-2024-0001"], ledger: ledger), 0)
        assertExit(try CLI.run(["append", "referral.accepted", "--stream", "referral-2024-0001"], ledger: ledger), 0)
        let schemas = try schemasWithReorderedReferrals()
        assertExit(try CLI.run(["catalogue", "update", "--schemas", schemas], ledger: ledger), 0, "catalogue 2 is now in force")
        assertExit(try CLI.run(["append", "referral.completed", "--stream", "referral-2024-0001", "--field", "outcome=goal_reached"],
                               ledger: ledger), 0, "appended at position 3")
        assertExit(try CLI.run(made + ["--stream", "referral-2024-0002"], ledger: ledger), 0)
        assertExit(try CLI.run(["append", "referral.accepted", "--stream", "referral-2024-0002"], ledger: ledger), 3, "REQUESTED")
        assertExit(try CLI.run(["verify"], ledger: ledger), 0, "verified 4 events")
    }

    func testExitCodesForEachKindOfMistake() throws {
        let base = ["append", "referral.made", "--stream", "referral-2024-0042", "--field", "resident_id=R000123",
                    "--field", "target_organisation=org-x1", "--field", "service=debt_help", "--field", "support_level=light", "--field", "urgency=routine"]
        assertExit(try CLI.run(base + ["--field", "handover=lukewarm"], ledger: ledger), 3, "/data/handover: must be one of")
        assertExit(try CLI.run(base + ["--field", "handover=warm", "--colour", "red"], ledger: ledger), 2, "Unknown option")
        assertExit(try CLI.run(base, ledger: ledger), 3, "/data/handover: is required")
        assertExit(try CLI.run(base + ["--field", "handover=warm", "--expect-version", "3"], ledger: ledger), 4, "expected stream version 3")
        assertExit(try CLI.run(["append", "referral.completed", "--stream", "referral-2024-0042", "--field", "outcome=goal_reached"], ledger: ledger), 3, "not allowed in state none")
        assertExit(try CLI.run(["log"], ledger: ledger + "-nowhere"), 5, "no ledger at")
        let notALedger = CLI.temporary("empty")
        try FileManager.default.createDirectory(atPath: notALedger, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: notALedger) }
        assertExit(try CLI.run(["stats"], ledger: notALedger), 5, "not a Buurtboek ledger")
        assertExit(try CLI.run(["append", "contact.recorded", "--stream", "contact-1", "--field", "mode=street", "--field", "topics=safety"],
                               ledger: ledger, environment: ["BUURTBOEK_WORKER": ""]), 3, "no worker")
        assertExit(try CLI.run(["show", "99"], ledger: ledger), 3, "no event at position 99")
        let help = try CLI.run(["--help"])
        assertExit(help, 0, "EXIT CODES")
        XCTAssertTrue(help.stdout.contains("4  conflict"))
    }

    func testIdempotentRetryWithAnId() throws {
        let args = ["append", "contact.recorded", "--stream", "contact-2024-1", "--field", "mode=phone", "--field", "topics=money,debts",
                    "--field", "minutes=20", "--id", "0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e6f", "--occurred-at", "2024-06-01T10:00:00Z"]
        assertExit(try CLI.run(args, ledger: ledger), 0, "appended at position 1")
        assertExit(try CLI.run(args, ledger: ledger), 0, "already recorded at position 1")
        assertExit(try CLI.run(args.dropLast(2) + ["--occurred-at", "2024-06-02T10:00:00Z"], ledger: ledger), 3, "different content")
        assertExit(try CLI.run(["show", "0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e6f", "--format", "json"], ledger: ledger), 0, #""topics":["money","debts"]"#)
    }

    func testAFlippedByteFailsVerifyWithItsPosition() throws {
        for i in 1...20 {
            try CLI.run(["append", "contact.recorded", "--stream", "contact-zin-nummer-\(i)-einde", "--field", "mode=street",
                         "--field", "topics=safety"], ledger: ledger)
        }
        var data = try Data(contentsOf: URL(fileURLWithPath: ledger + "/data.mdb"))
        // Copy-on-write leaves stale copies of pages behind: change every copy of the record.
        var found = 0
        while let range = data.range(of: Data("contact-zin-nummer-13-einde".utf8)) {
            data[range.lowerBound + 12] ^= 0x20
            found += 1
        }
        XCTAssertGreaterThan(found, 0)
        try data.write(to: URL(fileURLWithPath: ledger + "/data.mdb"))
        assertExit(try CLI.run(["verify"], ledger: ledger), 6, "position 13:")
    }
}
