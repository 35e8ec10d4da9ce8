import Foundation
import XCTest

/// The door's rules through a team server: the same refusals, names and marks as on the
/// ledger directory.
final class RightAtTheDoorServerTests: ServedLedgerTestCase {
    func testTheServerKeepsTheSameDoor() throws {
        let visit = ["append", "contact.recorded", "--stream", "contact-remote-1", "--field", "mode=street", "--field", "topics=money",
                     "--field", "minutes=10"]
        assertExit(try server.cli(visit + ["--neighbourhood", "Noord"], as: "worker"), 3, "did you mean Centrum Haven Noord (BU00340101)")
        assertExit(try server.cli(visit + ["--neighbourhood", "Tuinwijk"], as: "worker"), 3, "11002T24-")
        let appended = try server.cli(visit + ["--neighbourhood", "Centrum Haven Noord"], as: "worker")
        assertExit(appended, 0, "Centrum Haven Noord (BU00340101)")
        assertExit(try server.cli(visit + ["--neighbourhood", "BU00340101"], as: "worker"), 3, "likely recorded twice")
        assertExit(try server.cli(visit + ["--neighbourhood", "BU00340101", "--again"], as: "worker"), 0, "version 2")
        assertExit(try server.cli(["append", "initiative.funding_decided", "--stream", "initiative-x", "--field", "amount_requested=1.500"],
                                  as: "worker"), 2, "write 1500 for thousands")
        let position = try XCTUnwrap(try CLI.run(["log", "--format", "jsonl"], ledger: ledger).stdout.split(separator: "\n").count)
        assertExit(try server.cli(["void", String(position), "--reason", "twice after all"], as: "worker"), 0)
        // The log and a stream through the server mark it, as locally; --current leaves it out.
        let remote = try server.cli(["log", "--format", "jsonl"], as: "auditor").stdout
        XCTAssertEqual(remote, try CLI.run(["log", "--format", "jsonl"], ledger: ledger).stdout)
        XCTAssertTrue(remote.contains(#""corrected":"voided""#), remote)
        XCTAssertFalse(try server.cli(["log", "--current", "--format", "jsonl"], as: "auditor").stdout.contains(#""corrected":"voided""#))
        XCTAssertEqual(try server.cli(["log", "--wide"], as: "auditor").stdout, try CLI.run(["log", "--wide"], ledger: ledger).stdout)
        assertExit(try server.cli(["show", String(position)], as: "worker"), 0, "VOID: voided at position")
        assertExit(try server.cli(["areas", "find", "noord", "--limit", "2"], as: "worker"), 0, "BU00340101")
    }
}
