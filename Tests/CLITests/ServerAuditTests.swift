import Foundation
import XCTest

/// Reading single events and streams, checkpoints, proofs, audit trails and erasure through a
/// team server: each role sees what it may and no more, and the output is the local one.
final class ServerAuditTests: LedgerTestCase {
    var server: ServedLedger!
    var key = "", pub = ""
    let residentName = "Zwanette Oosterhuis-Quist", phone = "06-98765432"
    /// A local run that has no master key: what a reader without one sees.
    let locked = ["BUURTBOEK_MASTER_KEY_FILE": ""]

    override func setUpWithError() throws {
        try super.setUpWithError()
        assertExit(try CLI.run(["key", "generate", "--origin", "buurtboek.example/team", "--out", work + "/signer"]), 0)
        (key, pub) = (work + "/signer.key", work + "/signer.pub")
        try resident("R004711", name: residentName)
        assertExit(try CLI.run(["append", "referral.made", "--stream", "referral-2024-0777", "--field", "resident_id=R004711",
                                "--field", "target_organisation=org-schuldhulp-noord", "--field", "service=debt_help",
                                "--field", "handover=warm", "--field", "support_level=moderate", "--field", "urgency=routine",
                                "--field", "reason=\(residentName) belt over schulden, \(phone)"], ledger: ledger), 0)
        assertExit(try CLI.run(["append", "referral.accepted", "--stream", "referral-2024-0777"], ledger: ledger), 0)
        // Positions 1 to 3 above; the four members' enrolments are 4 to 7.
        server = try ServedLedger(ledger: ledger, work: work, extra: ["--checkpoint-key", key])
    }

    override func tearDown() {
        server?.stop()
        super.tearDown()
    }

    private func resident(_ id: String, name: String) throws {
        assertExit(try CLI.run(["append", "resident.joined_network", "--stream", "resident-\(id)", "--field", "network_id=network-BU1",
                                "--field", "role=member", "--field", "how_reached=outreach", "--field", "name=\(name)",
                                "--field", "phone=\(phone)"], ledger: ledger), 0)
    }

    /// A worker's show opens the personal fields, as the local show with the master key does,
    /// and the opening is in the access record under the worker; an auditor sees the names
    /// only; an analyst nothing. A stream reads as locally for both.
    func testShowAndStreamByRole() throws {
        let local = try CLI.run(["show", "1"], ledger: ledger)
        let worker = try server.cli(["show", "1"], as: "worker")
        assertExit(worker, 0, residentName)
        XCTAssertEqual(worker.stdout, local.stdout)
        let auditor = try server.cli(["show", "1"], as: "auditor")
        assertExit(auditor, 0, "[sealed: personal fields are shown to workers only]")
        XCTAssertFalse(auditor.stdout.contains(residentName) || auditor.stdout.contains(phone), auditor.stdout)
        XCTAssertEqual(auditor.stdout.replacing("personal fields are shown to workers only", with: "showing it needs the master key"),
                       try CLI.run(["show", "1"], ledger: ledger, environment: locked).stdout)
        assertExit(try server.cli(["show", "1"], as: "analyst"), 7, "this needs the role")
        let id = try XCTUnwrap(try CLI.run(["show", "2", "--format", "json"], ledger: ledger).stdout.firstMatch(of: #/"id":"([0-9a-f-]+)"/#)?.1)
        for reference in ["2", String(id)] {
            XCTAssertEqual(try server.cli(["show", reference, "--format", "json"], as: "auditor").stdout,
                           try CLI.run(["show", reference, "--format", "json"], ledger: ledger).stdout)
        }
        assertExit(try server.cli(["show", "99"], as: "worker"), 3, "no event at position 99 (the log holds 7)")
        assertExit(try server.cli(["show", "nonsense"], as: "worker"), 3, "neither a position nor an event id")
        let access = try CLI.run(["access-log", "--format", "json"], ledger: ledger).stdout
        XCTAssertTrue(access.contains("m-worker") && access.contains("through the server"), access)
        XCTAssertFalse(access.contains("m-auditor"), "the auditor opened nothing")
        for role in ["worker", "auditor"] {
            for args in [["stream", "referral-2024-0777"], ["stream", "referral-2024-0777", "--format", "json"]] {
                let remote = try server.cli(args, as: role)
                assertExit(remote, 0)
                XCTAssertEqual(remote.stdout, try CLI.run(args, ledger: ledger).stdout, "\(role) \(args)")
            }
        }
        assertExit(try server.cli(["stream", "referral-none"], as: "worker"), 3, "no stream referral-none")
        // The local CLI cannot erase beside a running server (the key store's free pages must
        // be compacted, which needs the store to itself): it says so and records nothing.
        let beside = try CLI.run(["erase", "resident", "R004711", "--request", "AVG-2024-017"], ledger: ledger)
        assertExit(beside, 5, "open in another process (a team server?): erase through the server")
        XCTAssertEqual(try CLI.run(["log", "--type", "resident.erased", "--format", "jsonl"], ledger: ledger).stdout, "", "nothing recorded")
        // Through the server, whose key cache held the resident's key from the show above.
        assertExit(try server.cli(["erase", "resident", "R004711", "--request", "AVG-2024-017"], as: "admin"), 0)
        let after = try server.cli(["show", "1"], as: "worker")
        assertExit(after, 0, "[erased]")
        XCTAssertFalse(after.stdout.contains(residentName), after.stdout)
    }

    /// An admin signs checkpoints with the server's key; an auditor lists them, proves, checks
    /// a kept checkpoint against the server (the proof checked on the auditor's side), and
    /// reads audit trails and bundles, all as a local run prints them.
    func testCheckpointsProofsAndAuditTrails() throws {
        assertExit(try server.cli(["checkpoint"], as: "auditor"), 7, "this needs the role admin")
        let first = try server.cli(["checkpoint"], as: "admin")
        assertExit(first, 0, "buurtboek.example/team\n7\n")
        XCTAssertTrue(first.stderr.contains("signed checkpoint 7"), first.stderr)
        let kept = work + "/cp7.txt"
        try first.stdout.write(toFile: kept, atomically: true, encoding: .utf8)
        assertExit(try server.cli(["checkpoint"], as: "admin"), 0, first.stdout)
        var lines = ""
        for i in 1...14 { lines += #"{"type":"contact.recorded","stream":"contact-\#(i)","data":{"mode":"street","topics":["safety"]}}"# + "\n" }
        assertExit(try server.cli(["import", "-"], as: "worker", input: Data(lines.utf8)), 0)
        let second = try server.cli(["checkpoint"], as: "admin")
        assertExit(second, 0, "\n21\n")
        XCTAssertTrue(second.stderr.contains("proven consistent with checkpoint 7"), second.stderr)
        for args in [["checkpoint", "list"], ["checkpoint", "list", "--format", "json"], ["checkpoint", "show", "7"],
                     ["prove", "inclusion", "2"], ["prove", "inclusion", "9", "--size", "16", "--format", "json"],
                     ["prove", "consistency", "3", "17"], ["prove", "consistency", "5", "8", "--format", "json"]] {
            let remote = try server.cli(args, as: "auditor")
            assertExit(remote, 0)
            XCTAssertEqual(remote.stdout, try CLI.run(args, ledger: ledger).stdout, args.joined(separator: " "))
        }
        for args in [["prove", "inclusion", "22"], ["prove", "consistency", "0", "5"], ["prove", "consistency", "9", "5"], ["checkpoint", "show", "4"]] {
            let local = try CLI.run(args, ledger: ledger)
            let remote = try server.cli(args, as: "auditor")
            XCTAssertEqual(remote.status, local.status, args.joined(separator: " "))
            XCTAssertTrue(remote.stderr.hasSuffix(local.stderr.replacing("buurtboek: error: ", with: "")), "\(remote.stderr) / \(local.stderr)")
        }
        assertExit(try server.cli(["prove", "inclusion", "2"], as: "worker"), 7)
        // The kept checkpoint: consistent; one signed by another key, or with another root, is not.
        let verified = try server.cli(["verify", "--checkpoint", kept, "--public-key", pub], as: "auditor")
        assertExit(verified, 0, "the log of 21 events extends checkpoint 7 of buurtboek.example/team")
        XCTAssertEqual(verified.stdout, try CLI.run(["verify", "--checkpoint", kept, "--public-key", pub], ledger: ledger).stdout)
        assertExit(try CLI.run(["key", "generate", "--origin", "buurtboek.example/team", "--out", work + "/other"]), 0)
        assertExit(try server.cli(["verify", "--checkpoint", kept, "--public-key", work + "/other.pub"], as: "auditor"), 6)
        assertExit(try server.cli(["verify", "--checkpoint", work + "/none.txt", "--public-key", pub], as: "auditor"), 5, "cannot read")

        // Audit trails: the server's is the local one without a master key (an auditor's role
        // opens no personal field); the bundle is the same file.
        for args in [["audit", "referral", "referral-2024-0777"], ["audit", "referral", "referral-2024-0777", "--format", "json"],
                     ["audit", "resident", "R004711", "--format", "json"]] {
            let remote = try server.cli(args, as: "auditor")
            assertExit(remote, 0)
            XCTAssertFalse(remote.stdout.contains(residentName), remote.stdout)
            XCTAssertEqual(remote.stdout, try CLI.run(args, ledger: ledger, environment: locked).stdout, args.joined(separator: " "))
        }
        let bundle = ["audit", "referral", "referral-2024-0777", "--since-checkpoint", "7", "--bundle"]
        let remote = try server.cli(bundle + [work + "/remote.json"], as: "auditor")
        assertExit(remote, 0)
        XCTAssertTrue(remote.stderr.contains("wrote the audit bundle \(work)/remote.json (2 events, checkpoint 21)"), remote.stderr)
        assertExit(try CLI.run(bundle + [work + "/local.json"], ledger: ledger, environment: locked), 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: work + "/remote.json")), try Data(contentsOf: URL(fileURLWithPath: work + "/local.json")))
        assertExit(try server.cli(["audit", "referral", "referral-none"], as: "auditor"), 3, "no referral referral-none")
        assertExit(try server.cli(["audit", "referral", "referral-2024-0777"], as: "worker"), 7)
    }

    /// Erasure is the admin's: the resident's fields read as [erased] through the server and
    /// locally, the erasure is in the log under the admin, and nobody else may ask for it.
    func testAdminsEraseThroughTheServer() throws {
        try resident("R004712", name: "Jantine Bakker")
        assertExit(try server.cli(["show", "8"], as: "worker"), 0, "Jantine Bakker")
        assertExit(try server.cli(["erase", "resident", "R004712", "--request", "AVG-2024-018"], as: "worker"), 7, "this needs the role admin")
        assertExit(try server.cli(["erase", "resident", "R009999", "--request", "AVG-2024-019"], as: "admin"), 3, "no resident R009999")
        assertExit(try server.cli(["erase", "resident", "R004712", "--request", "AVG 2024"], as: "admin"), 3, "request_ref")
        assertExit(try server.cli(["erase", "resident", "R004712", "--request", "AVG-2024-018"], as: "admin"), 0,
                   "erased resident R004712: 1 data key destroyed, 1 stream closed")
        assertExit(try server.cli(["erase", "resident", "R004712", "--request", "AVG-2024-018"], as: "admin"), 0, "(completing an earlier erasure)")
        for result in [try server.cli(["show", "8"], as: "worker"), try CLI.run(["show", "8"], ledger: ledger)] {
            assertExit(result, 0, "[erased]")
            XCTAssertFalse(result.stdout.contains("Jantine Bakker"), result.stdout)
        }
        let log = try CLI.run(["log", "--type", "resident.erased", "--format", "jsonl"], ledger: ledger).stdout
        XCTAssertTrue(log.contains(#""recordedBy":"m-admin""#) && log.contains("resident-R004712"), log)
        assertExit(try CLI.run(["verify"], ledger: ledger), 0)
    }
}
