import Foundation
import XCTest

final class PrivacyCommandTests: LedgerTestCase {

    let residentName = "Zwanette Oosterhuis-Quist", phone = "06-98765432"

    func join() throws {
        assertExit(try CLI.run(["append", "resident.joined_network", "--stream", "resident-R004711", "--field", "network_id=network-BU1",
                                "--field", "role=member", "--field", "how_reached=outreach", "--field", "name=\(residentName)",
                                "--field", "phone=\(phone)", "--field", "circumstances=debts"], ledger: ledger), 0)
        assertExit(try CLI.run(["append", "consent.given", "--stream", "resident-R004711", "--field", "scope=share_with_organisation",
                                "--field", "organisation_id=org-schuldhulp-noord", "--field", "method=written"], ledger: ledger), 0)
        assertExit(try CLI.run(["append", "referral.made", "--stream", "referral-2024-0777", "--field", "resident_id=R004711",
                                "--field", "target_organisation=org-schuldhulp-noord", "--field", "service=debt_help",
                                "--field", "handover=warm", "--field", "support_level=moderate", "--field", "urgency=routine", "--field", "shares_data=true",
                                "--field", "reason=\(residentName) belt over schulden, \(phone)"], ledger: ledger), 0)
    }

    /// Every file under a directory, read as bytes.
    func files(under path: String) -> [(String, Data)] {
        let enumerator = FileManager.default.enumerator(atPath: path)!
        return enumerator.compactMap { ($0 as? String).flatMap { rel in
            let full = path + "/" + rel
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue else { return nil }
            return (full, try! Data(contentsOf: URL(fileURLWithPath: full)))
        } }
    }

    func testErasureOnTheBytes() throws {
        try join()
        assertExit(try CLI.run(["show", "1"], ledger: ledger), 0, residentName)
        let before = try CLI.run(["verify"], ledger: ledger).stdout
        // Sealed from the start: nowhere in clear, not in the log, the key store or an export.
        for (file, bytes) in files(under: ledger) {
            XCTAssertNil(bytes.range(of: Data(residentName.utf8)), file)
            XCTAssertNil(bytes.range(of: Data(phone.utf8)), file)
        }
        let export = try CLI.run(["export"], ledger: ledger).stdout
        XCTAssertFalse(export.contains(residentName) || export.contains(phone))

        assertExit(try CLI.run(["erase", "resident", "R004711", "--request", "AVG-2024-017"], ledger: ledger), 0, "erased resident R004711")
        let show = try CLI.run(["show", "1"], ledger: ledger)
        assertExit(show, 0)
        XCTAssertTrue(show.stdout.contains("name                     [I]  [erased]"), show.stdout)
        XCTAssertTrue(try CLI.run(["show", "3"], ledger: ledger).stdout.contains("[erased]"), "the referral's notes go with the resident")
        for (file, bytes) in files(under: ledger) {
            XCTAssertNil(bytes.range(of: Data(residentName.utf8)), file)
            XCTAssertNil(bytes.range(of: Data(phone.utf8)), file)
        }
        let exportAfter = try CLI.run(["export"], ledger: ledger).stdout
        XCTAssertFalse(exportAfter.contains(residentName) || exportAfter.contains(phone))
        // The log is untouched: the same records verify, with the erasure event appended.
        let after = try CLI.run(["verify"], ledger: ledger)
        assertExit(after, 0, "verified 4 events")
        XCTAssertTrue(exportAfter.hasPrefix(export.trimmingCharacters(in: .newlines)), "earlier records unchanged")
        XCTAssertNotEqual(before, after.stdout)
        // Later events about the resident are refused, in their stream and elsewhere.
        assertExit(try CLI.run(["append", "referral.accepted", "--stream", "referral-2024-0777"], ledger: ledger), 3, "erased resident")
        assertExit(try CLI.run(["append", "contact.recorded", "--stream", "contact-9", "--field", "mode=phone", "--field", "topics=money",
                                "--field", "resident_id=R004711"], ledger: ledger), 3, "resident R004711 was erased")
        assertExit(try CLI.run(["append", "consent.given", "--stream", "resident-R004711", "--field", "scope=photos", "--field", "method=verbal"],
                               ledger: ledger), 3, "resident R004711 was erased")
        let log = try CLI.run(["access-log", "--resident", "R004711"], ledger: ledger)
        assertExit(log, 0, "show 1")
        XCTAssertTrue(log.stdout.contains("erase resident R004711"))
    }

    func testWithoutTheMasterKey() throws {
        try join()
        let locked = ["BUURTBOEK_MASTER_KEY_FILE": ""]
        assertExit(try CLI.run(["append", "contact.recorded", "--stream", "contact-1", "--field", "mode=phone", "--field", "topics=money"],
                               ledger: ledger, environment: locked), 0)
        assertExit(try CLI.run(["append", "contact.recorded", "--stream", "contact-2", "--field", "mode=phone", "--field", "topics=money",
                                "--field", "summary=iets persoonlijks"], ledger: ledger, environment: locked), 3, "needs the master key")
        let show = try CLI.run(["show", "1"], ledger: ledger, environment: locked)
        assertExit(show, 0, "[sealed: showing it needs the master key]")
        XCTAssertFalse(show.stdout.contains(residentName))
        assertExit(try CLI.run(["verify"], ledger: ledger, environment: locked), 0)
        assertExit(try CLI.run(["erase", "resident", "R004711", "--request", "x"], ledger: ledger, environment: locked), 3, "needs the master key")
        let loose = CLI.temporary("loose.key")
        try CLI.run(["key", "master", "--out", loose])
        defer { try? FileManager.default.removeItem(atPath: loose) }
        chmod(loose, 0o644)
        assertExit(try CLI.run(["show", "1", "--master-key", loose], ledger: ledger), 5, "readable by group or others")
    }

    func testConsentIsRequiredAndWithdrawalCounts() throws {
        try join()
        assertExit(try CLI.run(["append", "wellbeing.measured", "--stream", "resident-R004711", "--field", "instrument=swemwbs",
                                "--field", "moment=baseline", "--field", "score=21"], ledger: ledger), 3, "has not given consent measure_wellbeing")
        assertExit(try CLI.run(["append", "consent.withdrawn", "--stream", "resident-R004711", "--field", "scope=share_with_organisation",
                                "--field", "organisation_id=org-schuldhulp-noord", "--field", "method=verbal"], ledger: ledger), 0)
        assertExit(try CLI.run(["append", "referral.made", "--stream", "referral-2024-0778", "--field", "resident_id=R004711",
                                "--field", "target_organisation=org-schuldhulp-noord", "--field", "service=debt_help", "--field", "handover=warm",
                                "--field", "support_level=light", "--field", "urgency=routine", "--field", "shares_data=true"], ledger: ledger), 3,
                   "has not given consent share_with_organisation with org-schuldhulp-noord")
        assertExit(try CLI.run(["append", "referral.made", "--stream", "referral-2024-0778", "--field", "resident_id=R004711",
                                "--field", "target_organisation=org-schuldhulp-noord", "--field", "service=debt_help", "--field", "handover=signpost",
                                "--field", "support_level=light", "--field", "urgency=routine", "--field", "shares_data=false"], ledger: ledger), 0)
    }
}
