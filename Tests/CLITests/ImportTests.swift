import Foundation
import XCTest

final class ImportTests: LedgerTestCase {

    func testAGeneratedYearImportsOnceVerifiesExportsAndRestores() throws {
        let year = try CLI.year(events: 3000, seed: 11)
        XCTAssertEqual(year, try CLI.year(events: 3000, seed: 11), "the same seed gives the same file")
        XCTAssertNotEqual(year, try CLI.year(events: 3000, seed: 12))
        let file = work + "/year.jsonl"
        try year.write(to: URL(fileURLWithPath: file))
        assertExit(try CLI.run(["import", file], ledger: ledger), 0, "3,000 appended, 0 already recorded, 0 refused")
        assertExit(try CLI.run(["import", file], ledger: ledger), 0, "0 appended, 3,000 already recorded")
        let verified = try CLI.run(["verify"], ledger: ledger)
        assertExit(verified, 0, "verified 3,000 events")
        let checked = verified.stdout.firstMatch(of: /lifecycle states of ([0-9,]+) streams consistent/).map { Int($0.1.replacing(",", with: "")) ?? 0 }
        XCTAssertGreaterThan(checked ?? 0, 100, verified.stdout)
        let export = try CLI.run(["export"], ledger: ledger)
        XCTAssertEqual(export.stdout.split(separator: "\n").count, 3000)
        let restored = CLI.temporary("restored")
        defer { try? FileManager.default.removeItem(atPath: restored) }
        try CLI.run(["init", "--ledger", restored])
        assertExit(try CLI.run(["import", "--restore", "-"], ledger: restored, input: Data(export.stdout.utf8)), 0, "3,000 appended")
        let again = try CLI.run(["verify"], ledger: restored)
        XCTAssertEqual(again.stdout.split(separator: "\n").last, verified.stdout.split(separator: "\n").last, "the same tree root")
        XCTAssertEqual(try CLI.run(["export"], ledger: restored).stdout, export.stdout, "the same log, byte for byte")
        // Late entries: some events occurred days before events recorded ahead of them.
        let occurred = export.stdout.split(separator: "\n").map { line -> String in
            let object = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return object["occurredAt"] as! String
        }
        XCTAssertTrue(zip(occurred, occurred.dropFirst()).contains { $0 > $1 }, "the year has late entries")
    }

    /// Dense enough that many actions of one day touch the same resident: every line must pass.
    func testEveryGeneratedLinePassesValidation() throws {
        let file = work + "/dense.jsonl"
        try CLI.year(events: 60_000, seed: 1).write(to: URL(fileURLWithPath: file))
        assertExit(try CLI.run(["import", file], ledger: ledger), 0, "60,000 appended, 0 already recorded, 0 refused")
    }

    func testBadLinesGoToTheRejectsFileAndAtomicWritesNothing() throws {
        let good = #"{"type":"contact.recorded","stream":"contact-1","data":{"mode":"street","topics":["safety"]}}"#
        var lines = [
            good,
            "{not json",
            #"{"type":"contact.teleported","stream":"contact-2","data":{}}"#,
            #"{"type":"contact.recorded","stream":"contact-3","data":{"topics":["safety"]}}"#,
            #"{"type":"contact.recorded","stream":"contact-4","data":{"mode":"street","topics":["safety"],"mood":"good"}}"#,
            #"{"type":"contact.recorded","stream":"contact-5","data":{"mode":"street","topics":["safety"],"minutes":"ten"}}"#,
            #"{"type":"contact.recorded","stream":"contact-6","data":{"mode":"skating","topics":["safety"]}}"#,
            #"{"type":"referral.accepted","stream":"referral-9","data":{}}"#,
            #"{"type":"contact.recorded","stream":"contact-1","expectedVersion":"none","data":{"mode":"street","topics":["safety"]}}"#,
            #"{"type":"ledger.correction_recorded","stream":"correction-1","data":{"corrects_position":1,"corrects_event_id":"0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e6f","action":"amend","reason":"typo","fields":{"x":"\#(String(repeating: "y", count: 70_000))"}}}"#,
            #"{"type":"contact.recorded","stream":"contact-7","data":{"mode":"street","topics":["safety"]}}"#,
        ]
        var bytes = Data(lines.joined(separator: "\n").utf8)
        bytes.append(contentsOf: [0x0A] + Array(#"{"type":"contact.recorded","stream":"contact-8","data":{"mode":"street","topics":["s"#.utf8) + [0xFF, 0xFE] + Array(#""]}}"#.utf8))
        let file = work + "/day.jsonl"
        try bytes.write(to: URL(fileURLWithPath: file))

        assertExit(try CLI.run(["import", "--atomic", file], ledger: ledger), 3, "line 2: malformed JSON")
        XCTAssertEqual(try CLI.run(["export"], ledger: ledger).stdout, "", "nothing was written")

        let result = try CLI.run(["import", file], ledger: ledger)
        assertExit(result, 3, "2 appended, 0 already recorded, 10 refused")
        let rejects = try String(contentsOfFile: file + ".rejects.jsonl", encoding: .utf8).split(separator: "\n").map {
            try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        let byLine = Dictionary(uniqueKeysWithValues: rejects.map { ($0["line"] as! Int, $0["error"] as! String) })
        XCTAssertEqual(Set(byLine.keys), Set(2...10).union([12]))
        let expectations: [Int: String] = [2: "malformed JSON", 3: "unknown event type", 4: "/data/mode: is required",
                                           5: "/data/mood: is not a known field", 6: "/data/minutes: must be integer",
                                           7: "/data/mode: must be one of", 8: "not allowed in state none",
                                           9: "expected stream version none", 10: "more than the catalogue's limit of 65536",
                                           12: "UTF-8"]
        for (line, fragment) in expectations {
            XCTAssertTrue(byLine[line]?.contains(fragment) == true, "line \(line): \(byLine[line] ?? "none")")
            XCTAssertTrue(byLine[line]?.hasPrefix("line \(line)") == true)
        }
        lines.removeAll()
    }

    /// Lines are prepared in chunks on every core and written in batches of several chunks:
    /// whatever the chunk and batch boundaries, the log keeps the input's order and the rejects
    /// file names exactly the refused lines, in order.
    func testChunksAndBatchesKeepTheInputOrder() throws {
        let year = String(decoding: try CLI.year(events: 2500, seed: 5), as: UTF8.self).split(separator: "\n").map(String.init)
        var lines: [String] = [], refused: [Int] = []
        for (i, line) in year.enumerated() {
            // Refused by the ledger, not while preparing: before and between the others, in
            // line order.
            if [500, 1001, 1500].contains(i) {
                lines.append(#"{"type":"contact.recorded","stream":"contact-never-\#(i)","expectedVersion":"exists","data":{"mode":"street","topics":["safety"]}}"#)
                refused.append(lines.count)
            }
            // Around the chunk boundaries (every 1,000 lines) and elsewhere: a broken line, a
            // blank one and one that names an unknown type.
            if [0, 998, 999, 1000, 1001, 1999, 2499].contains(i) {
                lines.append("{broken \(i)")
                refused.append(lines.count)
                lines.append(i % 2 == 0 ? "" : "   ")
                lines.append(#"{"type":"contact.vanished","stream":"contact-x","data":{}}"#)
                refused.append(lines.count)
            }
            lines.append(line)
        }
        let file = work + "/chunked.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let ids = year.map { line -> String in
            let object = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return object["id"] as! String
        }
        for batchSize in ["700", "2600"] {
            let ledger = CLI.temporary("chunked-\(batchSize)")
            defer { try? FileManager.default.removeItem(atPath: ledger) }
            try CLI.run(["init", "--ledger", ledger])
            let result = try CLI.run(["import", file, "--batch-size", batchSize], ledger: ledger)
            assertExit(result, 3, "2,500 appended, 0 already recorded, \(refused.count) refused")
            let rejected = try String(contentsOfFile: file + ".rejects.jsonl", encoding: .utf8).split(separator: "\n").map {
                (try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["line"] as! Int
            }
            XCTAssertEqual(rejected, refused, "batch size \(batchSize): the refused lines, in order")
            let exported = try CLI.run(["export"], ledger: ledger).stdout.split(separator: "\n").map { line -> String in
                let object = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                return object["id"] as! String
            }
            let firstDifference = zip(exported, ids).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            XCTAssertTrue(exported.count == ids.count && firstDifference == nil,
                          "batch size \(batchSize): the log holds the good lines in input order (\(exported.count) exported; first difference at position \(firstDifference.map { $0 + 1 } ?? 0))")
            assertExit(try CLI.run(["verify"], ledger: ledger), 0, "verified 2,500 events")
        }
    }

    /// An --atomic import larger than the first map: the map grows and the whole import runs
    /// again from its first line, with fresh threads on the same preparers.
    func testAnAtomicImportThatGrowsTheMapStartsAgainCleanly() throws {
        let file = work + "/large.jsonl"
        try CLI.year(events: 130_000, seed: 3).write(to: URL(fileURLWithPath: file))
        assertExit(try CLI.run(["import", "--atomic", file], ledger: ledger), 0, "130,000 appended, 0 already recorded, 0 refused")
        assertExit(try CLI.run(["verify"], ledger: ledger), 0, "verified 130,000 events")
    }

    /// CRLF endings are stripped, blank and whitespace-only lines skipped but counted, and the
    /// last line needs no line break.
    func testLineEndingsAndBlankLinesKeepLineNumbers() throws {
        func contact(_ n: Int) -> String { #"{"type":"contact.recorded","stream":"contact-\#(n)","data":{"mode":"street","topics":["safety"]}}"# }
        let text = contact(1) + "\r\n" + "\r\n" + " \t \r\n" + contact(2) + "\r\n" + "{broken\r\n" + "\n" + contact(3)
        let file = work + "/crlf.jsonl"
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        assertExit(try CLI.run(["import", file], ledger: ledger), 3, "3 appended, 0 already recorded, 1 refused")
        let rejected = try String(contentsOfFile: file + ".rejects.jsonl", encoding: .utf8)
        XCTAssertTrue(rejected.contains(#"{"line":5,"#) && rejected.contains(#""input":"{broken"}"#), rejected)
        let streams = try CLI.run(["log", "--format", "jsonl"], ledger: ledger).stdout.split(separator: "\n").map {
            (try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["stream"] as! String
        }
        XCTAssertEqual(streams, ["contact-1", "contact-2", "contact-3"])
    }

    func testEmptyInputsAndDirectoriesAreRefused() throws {
        let empty = work + "/empty.jsonl"
        FileManager.default.createFile(atPath: empty, contents: Data())
        assertExit(try CLI.run(["import", empty], ledger: ledger), 3, "holds no events")
        assertExit(try CLI.run(["import", work], ledger: ledger), 5, "is a directory")
        assertExit(try CLI.run(["import", work + "/missing.jsonl"], ledger: ledger), 5, "cannot open")
        var huge = Data(#"{"type":"contact.recorded","stream":"contact-1","data":{"mode":"street","topics":["safety"],"summary":""#.utf8)
        huge.append(Data(repeating: UInt8(ascii: "x"), count: 1_100_000))
        huge.append(Data(#""}}"#.utf8))
        assertExit(try CLI.run(["import", "-"], ledger: ledger, input: huge), 3, "1 refused")
        XCTAssertTrue(try String(contentsOfFile: "import.rejects.jsonl", encoding: .utf8).contains("1048576-byte limit"))
        try? FileManager.default.removeItem(atPath: "import.rejects.jsonl")
    }
}
