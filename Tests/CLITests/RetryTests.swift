import Foundation
import XCTest

/// Retries never double an event: id-less import lines and `append --idempotent` get ids
/// derived from their content.
final class RetryTests: LedgerTestCase {

    func testTheSameIdlessFileImportedThreeTimesAppendsOnce() throws {
        let lines = [
            #"{"type":"contact.recorded","stream":"contact-2024-0101","occurredAt":"2024-03-05T14:30:00+01:00","data":{"mode":"street","topics":["safety"]}}"#,
            #"{"type":"contact.recorded","stream":"contact-2024-0102","data":{"mode":"phone","topics":["money"],"minutes":15}}"#,
            // The same content with its keys in another order is the same event.
            #"{"data":{"topics":["money"],"minutes":15,"mode":"phone"},"stream":"contact-2024-0102","type":"contact.recorded"}"#,
        ]
        let file = work + "/contacts.jsonl"
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: file))
        assertExit(try CLI.run(["import", file], ledger: ledger), 0, "2 appended, 1 already recorded, 0 refused")
        for _ in 0..<2 { assertExit(try CLI.run(["import", file], ledger: ledger), 0, "0 appended, 3 already recorded, 0 refused") }
        assertExit(try CLI.run(["verify"], ledger: ledger), 0, "verified 2 events")
        // The derived id is a version-8 UUID (RFC 9562), the same on every run.
        let export = try CLI.run(["export"], ledger: ledger).stdout.split(separator: "\n")
        let ids = export.map { (try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["id"] as! String }
        for id in ids { XCTAssertEqual(Array(id)[14], "8", id) }
        // A line that differs in any field the line gives is another event.
        let other = #"{"type":"contact.recorded","stream":"contact-2024-0102","data":{"mode":"phone","topics":["money"],"minutes":16}}"#
        assertExit(try CLI.run(["import", "-"], ledger: ledger, input: Data(other.utf8)), 0, "1 appended")
    }

    func testAppendKeepsRandomIdsUnlessAskedForTheDerivedOne() throws {
        let event = ["append", "contact.recorded", "--stream", "contact-9", "--field", "mode=phone", "--field", "topics=money",
                     "--occurred-at", "2024-03-05T14:30:00+01:00"]
        assertExit(try CLI.run(event, ledger: ledger), 0, "appended at position 1")
        // The same visit twice: a likely double entry, unless --again says it happened twice.
        assertExit(try CLI.run(event, ledger: ledger), 3, "likely recorded twice: position 1")
        assertExit(try CLI.run(event + ["--again"], ledger: ledger), 0, "appended at position 2")
        assertExit(try CLI.run(event + ["--idempotent", "--again"], ledger: ledger), 0, "appended at position 3")
        assertExit(try CLI.run(event + ["--idempotent", "--again"], ledger: ledger), 0, "already recorded at position 3")
        assertExit(try CLI.run(event + ["--idempotent", "--id", "0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e6f"], ledger: ledger), 2, "--idempotent")
    }

    func testImportWithoutAWorkerIsRefusedBeforeReading() throws {
        let file = work + "/contacts.jsonl"
        try Data(String(repeating: #"{"type":"contact.recorded","stream":"contact-1","data":{"mode":"street","topics":["safety"]}}"# + "\n", count: 50).utf8)
            .write(to: URL(fileURLWithPath: file))
        let result = try CLI.run(["import", file], ledger: ledger, environment: ["BUURTBOEK_WORKER": ""])
        assertExit(result, 2, "import needs a worker")
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: file + ".rejects.jsonl"), "nothing was read, so nothing was rejected")
    }
}
