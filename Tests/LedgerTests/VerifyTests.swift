import Foundation
import XCTest
@testable import Catalogue
@testable import Ledger

final class VerifyTests: XCTestCase {
    var scratch: ScratchLedger!
    override func setUpWithError() throws { scratch = try ScratchLedger() }
    override func tearDown() { scratch.cleanUp() }

    func fill(_ n: Int) throws {
        let events = try (0..<n).map { i in try scratch.prepare(event("contact.recorded", "contact-marker-\(i)-marker", #"{"mode":"street","topics":["safety"],"summary":"zin \#(i)"}"#)) }
        try scratch.sealer.persist()
        _ = try scratch.ledger.append(events)
    }

    func testACleanLedgerVerifiesWithTheRootOfItsTree() throws {
        try fill(100)
        let report = try scratch.ledger.verify()
        XCTAssertEqual(report.size, 100)
        XCTAssertEqual(report.root, try scratch.ledger.read { try $0.root(size: 100) })
    }

    /// Flips one byte inside the stored record of event `marker` in a copy of the data file.
    func testAFlippedByteIsFoundWithItsPosition() throws {
        try fill(50)
        let copy = scratch.path + "-copy"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        var data = try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/data.mdb"))
        let marker = Data("contact-marker-37-marker".utf8)
        var found = 0
        while let range = data.range(of: marker) {
            data[range.lowerBound + 15] ^= 0x01
            found += 1
        }
        XCTAssertGreaterThan(found, 0)
        try data.write(to: URL(fileURLWithPath: copy + "/data.mdb"))
        let tampered = try Ledger.open(at: copy)
        XCTAssertThrowsError(try tampered.verify()) { error in
            XCTAssertEqual((error as? LedgerError)?.kind, .integrity)
            XCTAssertTrue("\(error)".hasPrefix("position 38:"), "\(error)")
        }
    }

    func testARemovedRecordIsFound() throws {
        try fill(20)
        try scratch.ledger.env.write { txn in _ = try txn.delete(scratch.ledger.db.log, Keys.u64(UInt64(10))) }
        XCTAssertThrowsError(try scratch.ledger.verify()) { error in
            XCTAssertEqual((error as? LedgerError)?.kind, .integrity)
            XCTAssertTrue("\(error)".hasPrefix("position 10: missing from the log"), "\(error)")
        }
    }

    func testTwoSwappedRecordsAreFound() throws {
        try fill(20)
        try scratch.ledger.env.write { txn in
            let db = scratch.ledger.db.log
            let five = Array(try txn.get(db, Keys.u64(UInt64(5)))!), six = Array(try txn.get(db, Keys.u64(UInt64(6)))!)
            try txn.put(db, Keys.u64(UInt64(5)), six)
            try txn.put(db, Keys.u64(UInt64(6)), five)
        }
        XCTAssertThrowsError(try scratch.ledger.verify()) { error in
            XCTAssertTrue("\(error)".hasPrefix("position 5: the record's leaf hash"), "\(error)")
        }
    }

    func testAMissingIndexEntryIsFound() throws {
        try fill(20)
        try scratch.ledger.env.write { txn in
            _ = try txn.delete(scratch.ledger.db.types, Array("contact.recorded".utf8), value: Keys.u64(UInt64(9)))
        }
        XCTAssertThrowsError(try scratch.ledger.verify()) { error in
            XCTAssertTrue("\(error)".contains("position 9: its entry in the types index"), "\(error)")
        }
    }

    func testExportedRecordsRestoreToTheSameTree() throws {
        try fill(30)
        try scratch.append(referralMade(extra: ##","reason":"ü \"q\"""##), event("referral.accepted", "referral-2024-0042"))
        var lines: [[UInt8]] = []
        try scratch.ledger.read { s in
            try s.scan { position, record in
                var line: [UInt8] = []
                EventJSON.write(position: position, record: record, leafHash: try s.leafHash(at: position), into: &line)
                lines.append(line)
                return true
            }
        }
        let other = try ScratchLedger()
        defer { other.cleanUp() }
        let restorer = EventPreparer(catalogue: other.ledger.catalogue, defaultWorker: nil, restoring: true)
        let events = try lines.enumerated().map { try restorer.prepare(line: $1, source: "line \($0 + 1)") }
        _ = try other.ledger.append(events)
        XCTAssertEqual(try other.ledger.verify().root, try scratch.ledger.verify().root)
        // A changed exported field no longer matches its leaf hash.
        var altered = String(decoding: lines[5], as: UTF8.self)
        altered = altered.replacingOccurrences(of: #""street""#, with: #""phone""#)
        XCTAssertNotEqual(altered, String(decoding: lines[5], as: UTF8.self))
        let third = try ScratchLedger()
        defer { third.cleanUp() }
        let again = EventPreparer(catalogue: third.ledger.catalogue, defaultWorker: nil, restoring: true)
        let prefix = try lines[0..<5].enumerated().map { try again.prepare(line: $1, source: "line \($0 + 1)") }
        _ = try third.ledger.append(prefix)
        XCTAssertThrowsError(try third.ledger.append([try again.prepare(line: Array(altered.utf8), source: "line 6")])) { error in
            XCTAssertTrue("\(error)".contains("leaf hash"), "\(error)")
        }
    }
}
