import Foundation
import XCTest

/// A ledger written by the last build of format 1 (see Fixtures/format1/ORIGIN.md) is upgraded
/// in place by the first command that opens it, and is then the same log: the same positions,
/// records, tree root and lifecycle states, and it takes new events.
final class UpgradeTests: XCTestCase {
    var ledger = ""

    override func setUpWithError() throws {
        ledger = CLI.temporary("format1")
        try FileManager.default.createDirectory(atPath: ledger, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let fixture = try XCTUnwrap(Bundle.module.url(forResource: "format1", withExtension: nil, subdirectory: "Fixtures"))
        try FileManager.default.copyItem(atPath: fixture.path + "/data.mdb", toPath: ledger + "/data.mdb")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: ledger)
    }

    func testAFormat1LedgerIsUpgradedInPlace() throws {
        let fixture = try XCTUnwrap(Bundle.module.url(forResource: "format1", withExtension: nil, subdirectory: "Fixtures"))
        assertExit(try CLI.run(["stats"], ledger: ledger), 0, "events        401 in 153 streams")
        let verified = try CLI.run(["verify"], ledger: ledger)
        assertExit(verified, 0, "lifecycle states of 84 streams consistent")
        XCTAssertTrue(verified.stdout.contains("tree size 401, root 79e9a4c0625d95bfaf3b0d0c3f06c9ce6785c3b8ae0e06b63c3fea4693d13510"), verified.stdout)
        let export = try CLI.run(["export"], ledger: ledger)
        assertExit(export, 0)
        XCTAssertEqual(export.stdout, try String(contentsOfFile: fixture.path + "/export.ndjson", encoding: .utf8), "the same records, byte for byte")

        // The states format 1 kept apart are in the heads, instances included.
        let resident = try CLI.run(["stream", "resident-R000001"], ledger: ledger)
        assertExit(resident, 0)
        for line in ["consent (measure_wellbeing/)         GIVEN", "membership (network-BU03630035)      MEMBER", "resident                             ACTIVE"] {
            XCTAssertTrue(resident.stdout.contains(line), resident.stdout)
        }
        // New events follow the upgraded states: the erasure holds, a referral moves on.
        assertExit(try CLI.run(["append", "consent.given", "--stream", "resident-R000002", "--field", "scope=photos", "--field", "method=verbal"],
                               ledger: ledger), 3, "resident R000002 was erased")
        assertExit(try CLI.run(["append", "referral.completed", "--stream", "referral-2025-000007", "--field", "outcome=goal_reached"],
                               ledger: ledger), 3, "in state REQUESTED")
        assertExit(try CLI.run(["append", "referral.completed", "--stream", "referral-2025-000001", "--field", "outcome=goal_reached"],
                               ledger: ledger), 0, "appended at position 402")
        assertExit(try CLI.run(["verify"], ledger: ledger), 0, "verified 402 events")
    }
}
