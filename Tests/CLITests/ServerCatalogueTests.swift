import Foundation
import XCTest

/// A catalogue installed while the server runs, on its machine or through it by an admin: the
/// server takes it at once, appends in flight are validated again under it, none is lost or
/// refused for it, and every event is recorded under the catalogue that validated it.
final class ServerCatalogueTests: ServedLedgerTestCase {
    private let made = ["append", "referral.made", "--field", "resident_id=R000123", "--field", "target_organisation=org-schuldhulp-noord",
                        "--field", "service=debt_help", "--field", "handover=warm", "--field", "support_level=moderate", "--field", "urgency=routine"]

    func testACatalogueUpdateReachesTheRunningServer() throws {
        let original = try catalogueFacts()
        assertExit(try server.cli(made + ["--stream", "referral-srv-1"], as: "worker"), 0)
        assertExit(try server.cli(["append", "referral.accepted", "--stream", "referral-srv-1"], as: "worker"), 0)
        let completed = ["append", "referral.completed", "--stream", "referral-srv-1", "--field", "outcome=goal_reached"]
        assertExit(try server.cli(completed, as: "worker"), 3, "ACCEPTED")
        // On the server's machine, beside it: the next append through the server is checked
        // against the new catalogue, with no restart (it used to be refused until one).
        let reordered = try schemasWithReorderedReferrals()
        assertExit(try CLI.run(["catalogue", "update", "--schemas", reordered], ledger: ledger), 0, "catalogue 2 is now in force")
        let done = try server.cli(completed, as: "worker")
        assertExit(done, 0, "appended at position")
        let completedAt = try XCTUnwrap(Int(done.stdout.firstMatch(of: #/position ([0-9]+)/#)?.1 ?? ""))
        // Through the server, as an admin: back to the build's catalogue. Only an admin may.
        assertExit(try server.cli(["catalogue", "update", "--schemas", reordered], as: "worker"), 7, "this needs the role admin")
        assertExit(try server.cli(["catalogue", "update", "--schemas", CLI.schemas], as: "admin"), 0, "catalogue 3 is now in force")
        assertExit(try server.cli(["catalogue", "update", "--schemas", CLI.schemas], as: "admin"), 0, "unchanged: catalogue 3")
        let second = try server.cli(made + ["--stream", "referral-srv-2"], as: "worker")
        assertExit(second, 0)
        let secondAt = try XCTUnwrap(Int(second.stdout.firstMatch(of: #/position ([0-9]+)/#)?.1 ?? ""))
        assertExit(try server.cli(["append", "referral.accepted", "--stream", "referral-srv-2"], as: "worker"), 0)
        // What a bundle is refused for is named, and nothing is installed.
        let admin = try server.token("admin")
        let unknownKind = try server.http("POST", "/v1/catalogue", token: admin,
                                          body: Data(#"{"catalogue":{"types":{"x.y":{"streamKind":"nonsense","versions":[1]}}},"schemas":{"x.y.v1":{}}}"#.utf8))
        XCTAssertEqual(unknownKind.status, 422, unknownKind.body)
        XCTAssertTrue(unknownKind.body.contains("x.y"), unknownKind.body)
        let garbage = try server.http("POST", "/v1/catalogue", token: admin, body: Data("{not json".utf8))
        XCTAssertEqual(garbage.status, 422, garbage.body)
        XCTAssertTrue(garbage.body.contains("the catalogue bundle"), garbage.body)
        // The same files hash the same installed locally or through the server; each event is
        // recorded under the catalogue in force when it was validated.
        let facts = try catalogueFacts()
        XCTAssertEqual(facts["inForce"] as? Int, 3)
        XCTAssertEqual(facts["sha256"] as? String, original["sha256"] as? String)
        let history = (facts["history"] as? [[String: Int]] ?? []).map { [$0["catalogue"] ?? 0, $0["fromPosition"] ?? 0] }
        XCTAssertEqual(history.suffix(2), [[2, completedAt], [3, secondAt]])
        XCTAssertTrue(server.log.contains("catalogue 3 installed by m-admin"), server.log)
        // Member events are prepared again too: enrolled through the server right after a local
        // update, the member's event is recorded under the new catalogue.
        assertExit(try CLI.run(["catalogue", "update", "--schemas", reordered], ledger: ledger), 0, "catalogue 4 is now in force")
        assertExit(try server.cli(["member", "add", "m-late", "--role", "worker", "--token-out", work + "/late.token"], as: "admin"), 0, "enrolled m-late")
        let last = try XCTUnwrap((try catalogueFacts()["history"] as? [[String: Int]])?.last)
        XCTAssertEqual(last["catalogue"], 4)
        XCTAssertEqual(last["fromPosition"], try XCTUnwrap(Int(try CLI.run(["stats", "--format", "json"], ledger: ledger).stdout.firstMatch(of: #/"events":([0-9]+)/#)?.1 ?? "")))
        assertExit(try CLI.run(["verify"], ledger: ledger), 0)
    }

    /// Appends and an import in flight while two catalogues are installed: every acknowledged
    /// append is in the log once, none is refused, and the import's lines are all appended in
    /// their order, the later ones under the new catalogue.
    func testAppendsInFlightAcrossCatalogueUpdatesAreNeitherLostNorRefused() throws {
        let year = work + "/year.jsonl"
        // As a worker sends their own events: the server records them under the token's member.
        let lines = String(decoding: try CLI.year(events: 40_000, seed: 9), as: UTF8.self).replacing(#/"recordedBy":"[^"]+",/#, with: "")
        try Data(lines.utf8).write(to: URL(fileURLWithPath: year))
        let acked = work + "/acked.txt"
        let load = Process()
        load.executableURL = URL(fileURLWithPath: CLI.schemas + "/../Tools/load-server")
        load.arguments = [server.url, server.tokenFile("worker"), "--clients", "8", "--processes", "1", "--seconds", "5", "--acked", acked]
        let loadOut = Pipe()
        load.standardOutput = loadOut
        load.standardError = loadOut
        try load.run()
        let importer = Process()
        importer.executableURL = CLI.binaries.appendingPathComponent("buurtboek")
        importer.arguments = ["import", year, "--ledger", server.url, "--token-file", server.tokenFile("worker")]
        let importOut = Pipe()
        importer.standardOutput = importOut
        importer.standardError = importOut
        try importer.run()
        Thread.sleep(forTimeInterval: 1)
        assertExit(try CLI.run(["catalogue", "update", "--schemas", try schemasWithReorderedReferrals()], ledger: ledger), 0, "catalogue 2")
        Thread.sleep(forTimeInterval: 1)
        assertExit(try server.cli(["catalogue", "update", "--schemas", CLI.schemas], as: "admin"), 0, "catalogue 3")
        let imported = String(decoding: importOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        importer.waitUntilExit()
        let loaded = String(decoding: loadOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        load.waitUntilExit()
        XCTAssertEqual(load.terminationStatus, 0, loaded)
        XCTAssertTrue(loaded.contains(#""refused": 0"#), loaded)
        // The generated year runs its referrals through the build's lifecycle: under the
        // reordered one some lines may be refused, which the import reports by line.
        XCTAssertTrue([0, 3].contains(importer.terminationStatus), imported)
        let counts = try XCTUnwrap(imported.firstMatch(of: #/([0-9,]+) appended, ([0-9,]+) already recorded, ([0-9,]+) refused/#), imported)
        XCTAssertEqual([counts.1, counts.2, counts.3].map { Int($0.replacing(",", with: "")) ?? -1 }.reduce(0, +), 40_000, imported)
        XCTAssertEqual(counts.2, "0", imported)
        // The import's first batches were being prepared when the catalogues came (preparing
        // 20,000 lines takes seconds in a debug build): they were prepared again, in order.
        XCTAssertTrue(server.log.contains("came into force; preparing"), server.log)
        let ids = try String(contentsOfFile: acked, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertGreaterThan(ids.count, 20)
        let logged = try CLI.run(["log", "--type", "contact.recorded", "--format", "jsonl"], ledger: ledger).stdout
            .split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String
            }
        XCTAssertEqual(Set(logged).count, logged.count, "no event twice")
        XCTAssertTrue(Set(ids).isSubset(of: Set(logged)), "every acknowledged event is in the log")
        let history = (try catalogueFacts()["history"] as? [[String: Int]] ?? []).compactMap { $0["catalogue"] }
        XCTAssertEqual(history.suffix(2), [2, 3], "\(history)")
        assertExit(try CLI.run(["verify"], ledger: ledger), 0)
    }

    private func catalogueFacts() throws -> [String: Any] {
        let shown = try CLI.run(["catalogue", "show", "--format", "json"], ledger: ledger)
        assertExit(shown, 0)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
    }
}
