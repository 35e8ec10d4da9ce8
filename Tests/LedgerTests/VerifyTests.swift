import Foundation
import XCTest
@testable import Catalogue
@testable import Ledger
import LMDB
import JSON
import TextFormats

final class VerifyTests: ScratchLedgerTestCase {

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

    /// Breaks one index in `damage`, then expects verify to name `expected` (a message prefix).
    func assertVerifyNames(_ expected: String, file: StaticString = #filePath, line: UInt = #line,
                           _ damage: (WriteTransaction, Ledger.Databases) throws -> Void) throws {
        try scratch.ledger.env.write { try damage($0, scratch.ledger.db) }
        XCTAssertThrowsError(try scratch.ledger.verify(), file: file, line: line) { error in
            XCTAssertEqual((error as? LedgerError)?.kind, .integrity, file: file, line: line)
            XCTAssertTrue("\(error)".hasPrefix(expected), "\(error)", file: file, line: line)
        }
    }

    /// The positions of a posting-block term, as stored, for rewriting in a test.
    func blocks(_ txn: WriteTransaction, _ db: Database, term: [UInt8]) throws -> [(key: [UInt8], positions: [UInt64])] {
        let cursor = try txn.cursor(db)
        let prefix = PostingBlocks.prefix(term)
        var out: [([UInt8], [UInt64])] = []
        var entry = try cursor.seek(prefix)
        while let e = entry, e.key.starts(with: prefix) {
            out.append((Array(e.key), stride(from: 0, to: e.value.count, by: 8).map { Keys.readU64(e.value, at: $0) }))
            entry = try cursor.next()
        }
        return out
    }

    func packed(_ positions: [UInt64]) -> [UInt8] { positions.flatMap { Keys.u64($0) } }

    func testAPositionMissingFromTheTypeIndexIsFound() throws {
        try fill(20)
        try assertVerifyNames("position 9: its entry in the types index is missing") { txn, db in
            let block = try XCTUnwrap(blocks(txn, db.types, term: Array("contact.recorded".utf8)).first)
            try txn.put(db.types, block.key, packed(block.positions.filter { $0 != 9 }))
        }
    }

    func testAPositionListedUnderTheWrongDayIsFound() throws {
        try fill(20)
        try scratch.append(event("contact.recorded", "contact-late", #"{"mode":"street","topics":["safety"]}"#, extra: #","occurredAt":"2024-03-05T10:00:00Z""#))
        try assertVerifyNames("position 21: the days index lists it under a day that is not the event's") { txn, db in
            let today = try XCTUnwrap(blocks(txn, db.days, term: Keys.day(Clock.nowMicros())).first)
            try txn.put(db.days, today.key, packed(today.positions + [21]))
        }
    }

    func testAPositionMissingFromItsDayIsFound() throws {
        try fill(20)
        try scratch.append(event("contact.recorded", "contact-late", #"{"mode":"street","topics":["safety"]}"#, extra: #","occurredAt":"2024-03-05T10:00:00Z""#))
        try assertVerifyNames("position 21: its entry in the days index is missing") { txn, db in
            let late = try XCTUnwrap(blocks(txn, db.days, term: Keys.day(RFC3339.parse("2024-03-05T10:00:00Z")!)).first)
            _ = try txn.delete(db.days, late.key)
        }
    }

    func testABlockOutOfOrderIsFound() throws {
        try fill(20)
        try assertVerifyNames("position 4: out of order in a block of the types index") { txn, db in
            let block = try XCTUnwrap(blocks(txn, db.types, term: Array("contact.recorded".utf8)).first)
            var positions = block.positions
            positions.swapAt(3, 4)
            try txn.put(db.types, block.key, packed(positions))
        }
    }

    func testAStreamLinkToTheWrongEventIsFound() throws {
        try fill(3)
        try scratch.append(referralMade(), event("referral.accepted", "referral-2024-0042"),
                           event("referral.first_contact_made", "referral-2024-0042", #"{"mode":"phone","accompanied_by_referrer":false}"#))
        // Position 6 (version 3) should link to 5; link it to 4 (version 1).
        try assertVerifyNames("position 6: the stream index links it to position 4, which is not event 2 of referral-2024-0042") { txn, db in
            try txn.put(db.streamLinks.raw, Keys.u64(UInt64(6)), Keys.u64(UInt64(4)))
        }
    }

    func testAMissingStreamHeadIsFound() throws {
        try fill(3)
        try scratch.append(referralMade(), event("referral.accepted", "referral-2024-0042"))
        try assertVerifyNames("position 4: the streams index has no head for referral-2024-0042") { txn, db in
            _ = try txn.delete(db.streams.raw, Array("referral-2024-0042".utf8))
        }
    }

    func testAStaleStreamHeadIsFound() throws {
        try fill(3)
        try scratch.append(referralMade(), event("referral.accepted", "referral-2024-0042"))
        // The head says version 1 at position 4, but the stream's event 2 is at position 5.
        try assertVerifyNames("position 5: the streams index has no head for referral-2024-0042 at version 2") { txn, db in
            try txn.put(db.streams.raw, Array("referral-2024-0042".utf8), Keys.u64(UInt64(1)) + Keys.u64(UInt64(4)))
        }
    }

    func testADamagedTreeTileIsFound() throws {
        try fill(40)
        // Storage order: leaf 0, leaf 1, then node (level 1, index 0), which position 2 completes.
        try assertVerifyNames("position 2: stored tree hash 2 (level 1) does not match") { txn, db in
            var tile = Array(try XCTUnwrap(try txn.get(db.tree, Keys.u64(UInt64(0)))))
            tile[2 * 32] ^= 1
            try txn.put(db.tree, Keys.u64(UInt64(0)), tile)
        }
    }

    func testAMissingLastTreeTileIsFound() throws {
        try fill(40)
        // Tiles 0 and 1 hold hashes 0-63; hash 64 is the leaf of position 34 (33 + 16 + 8 + 4 + 2 + 1).
        try assertVerifyNames("position 34: tree hash 64 is missing") { txn, db in
            _ = try txn.delete(db.tree, Keys.u64(UInt64(2)))
        }
    }

    func testAMissingStreamLinkIsFound() throws {
        try fill(5)
        try assertVerifyNames("position 3: its link in the stream index is missing") { txn, db in
            _ = try txn.delete(db.streamLinks.raw, Keys.u64(UInt64(3)))
        }
    }

    /// Referrals for two residents: three resident-streams entries, at positions 2, 3 and 4.
    func fillWithReferrals() throws {
        try fill(1)
        try scratch.append(referralMade("referral-2024-0001"), referralMade("referral-2024-0002"),
                           referralMade("referral-2024-0003").replacingOccurrences(of: "R000123", with: "R000777"),
                           event("referral.accepted", "referral-2024-0001"))
        let report = try scratch.ledger.verify()
        XCTAssertEqual(report.size, 5)
        XCTAssertEqual(report.streamsWithStates, 3, "the three referrals; the contact has no lifecycle")
        XCTAssertEqual(report.unchecked, 0)
    }

    func testAMissingResidentStreamIsFound() throws {
        try fillWithReferrals()
        try assertVerifyNames("position 4: its entry in the resident-streams index (resident R000777) is missing") { txn, db in
            _ = try txn.delete(db.residentStreams, Keys.u64(UInt64(3)))
        }
    }

    func testAResidentStreamNoEventAccountsForIsFound() throws {
        try fillWithReferrals()
        try assertVerifyNames("the resident-streams index entry 4 (R000123 referral-2024-0009) is not accounted for") { txn, db in
            try txn.put(db.residentStreams, Keys.u64(UInt64(4)), Array("R000123\u{0}referral-2024-0009".utf8), options: .append)
        }
    }

    func testAResidentStreamUnderTheWrongResidentIsFound() throws {
        try fillWithReferrals()
        try assertVerifyNames("position 3: its entry in the resident-streams index (resident R000123) is missing") { txn, db in
            try txn.put(db.residentStreams, Keys.u64(UInt64(2)), Array("R000999\u{0}referral-2024-0002".utf8))
        }
    }

    func testAMisnumberedResidentStreamIsFound() throws {
        try fillWithReferrals()
        try assertVerifyNames("the resident-streams index holds entry 3 where entry 2 belongs") { txn, db in
            _ = try txn.delete(db.residentStreams, Keys.u64(UInt64(2)))
        }
    }

    /// Referrals for two residents, then the erasure of R000123 at position 6: the erasures
    /// index holds R000123, and the erased streams are their own and their two referrals.
    func fillWithAnErasure() throws {
        try fillWithReferrals()
        try scratch.append(event("resident.erased", "resident-R000123", #"{"request_ref":"AVG-2024-7","legal_basis":"gdpr_art17"}"#))
        XCTAssertEqual(try scratch.ledger.verify().size, 6)
        let marked = try scratch.ledger.read { snapshot in
            try ["resident-R000123", "referral-2024-0001", "referral-2024-0002", "referral-2024-0003"].filter {
                try snapshot.txn.get(scratch.ledger.db.erasedStreams, Array($0.utf8)) != nil
            }
        }
        XCTAssertEqual(marked, ["resident-R000123", "referral-2024-0001", "referral-2024-0002"])
    }

    func testAMissingErasureIsFound() throws {
        try fillWithAnErasure()
        try assertVerifyNames("position 6: it erased resident R000123, whom the erasures index does not hold") { txn, db in
            _ = try txn.delete(db.erased.raw, Array("R000123".utf8))
        }
    }

    func testAnErasureAtTheWrongPositionIsFound() throws {
        try fillWithAnErasure()
        try assertVerifyNames("position 6: it erased resident R000123, whom the erasures index has erased at position 5") { txn, db in
            try txn.put(db.erased.raw, Array("R000123".utf8), Keys.u64(UInt64(5)))
        }
    }

    func testAnErasureNoEventAccountsForIsFound() throws {
        try fillWithAnErasure()
        try assertVerifyNames("the erasures index holds resident R000777 (position 4), whom no event in the log erased") { txn, db in
            try txn.put(db.erased.raw, Array("R000777".utf8), Keys.u64(UInt64(4)))
        }
    }

    func testAMissingErasedStreamIsFound() throws {
        try fillWithAnErasure()
        try assertVerifyNames("stream referral-2024-0002 belongs to erased resident R000123, but the erased-streams index does not hold it") { txn, db in
            _ = try txn.delete(db.erasedStreams, Array("referral-2024-0002".utf8))
        }
    }

    func testAnErasedStreamOfNoErasedResidentIsFound() throws {
        try fillWithAnErasure()
        try assertVerifyNames("the erased-streams index holds stream referral-2024-0003, which belongs to no erased resident") { txn, db in
            try txn.put(db.erasedStreams, Array("referral-2024-0003".utf8), [1])
        }
    }

    /// Damage that sets one lifecycle state in a stream's head, keeping its version and last event.
    func settingState(_ stream: String, _ entry: [UInt8], to state: String) -> (WriteTransaction, Ledger.Databases) throws -> Void {
        { txn, db in
            let key = Array(stream.utf8)
            let stored = Array(try XCTUnwrap(try txn.get(db.streams.raw, key)))
            var head: [UInt8] = []
            try stored.withUnsafeBytes { bytes in
                let current = try StreamIndex.Head(bytes)
                StreamIndex.Head.encode(version: current.version, last: current.last, previous: current.stateBytes,
                                        changes: [(entry, Array(state.utf8))], into: &head)
            }
            try txn.put(db.streams.raw, key, head)
        }
    }

    func testAStaleLifecycleStateIsFound() throws {
        try fillWithReferrals()
        try assertVerifyNames("stream referral-2024-0001: its head holds the lifecycle states referral=REQUESTED, but its events lead to referral=ACCEPTED",
                              settingState("referral-2024-0001", Array("referral".utf8), to: "REQUESTED"))
    }

    func testALifecycleStateNoEventSetIsFound() throws {
        try fillWithReferrals()
        try assertVerifyNames("stream contact-marker-0-marker: its head holds the lifecycle states referral=CLOSED, but its events lead to (none)",
                              settingState("contact-marker-0-marker", Array("referral".utf8), to: "CLOSED"))
    }

    /// Instance states (a consent per scope and organisation) are replayed by instance.
    func testAStaleConsentIsFound() throws {
        let resident = "resident-R000123"
        try scratch.append(event("consent.given", resident, #"{"scope":"share_with_organisation","organisation_id":"org-ggd","method":"verbal"}"#))
        try scratch.append(event("consent.given", resident, #"{"scope":"share_with_organisation","organisation_id":"org-buurtzorg","method":"verbal"}"#))
        try scratch.append(event("consent.withdrawn", resident, #"{"scope":"share_with_organisation","organisation_id":"org-ggd","method":"written"}"#))
        XCTAssertEqual(try scratch.ledger.verify().size, 3)
        let ggd = Keys.instanceState(lifecycle: "consent", instance: "share_with_organisation\u{1F}org-ggd")
        try assertVerifyNames("stream resident-R000123: its head holds the lifecycle states consent share_with_organisation/org-buurtzorg=GIVEN, consent share_with_organisation/org-ggd=GIVEN, resident=ACTIVE, but its events lead to consent share_with_organisation/org-buurtzorg=GIVEN, consent share_with_organisation/org-ggd=WITHDRAWN, resident=ACTIVE",
                              settingState(resident, ggd, to: "GIVEN"))
    }

    /// A lifecycle refusal at position 5 (the stored catalogue rewritten so that a referral may
    /// not be accepted) and an altered record at position 8: verify names position 5, although
    /// the replay that finds it runs behind the pass that finds position 8.
    func testTheFirstPositionIsNamedWhicheverCheckFindsIt() throws {
        try fillWithReferrals()
        try fill(5)
        let accepted = "\"event\": \"referral.accepted\",\n          \"from\": [\n            "
        let schemas = try editedSchemas("catalogue.json", replacing: accepted + "\"REQUESTED\"", with: accepted + "\"IN_PROGRESS\"")
        defer { try? FileManager.default.removeItem(atPath: schemas) }
        let bundle = try Catalogue.load(directory: schemas).bundle
        try scratch.ledger.env.write { txn in
            let db = scratch.ledger.db
            try txn.put(db.catalogues.raw, Keys.u32(UInt32(1)), bundle)
            var record = Array(try XCTUnwrap(try txn.get(db.log, Keys.u64(UInt64(8)))))
            record[record.count - 2] ^= 0x01
            try txn.put(db.log, Keys.u64(UInt64(8)), record)
        }
        XCTAssertThrowsError(try Ledger.open(at: scratch.path).verify()) { error in
            XCTAssertEqual((error as? LedgerError)?.kind, .integrity)
            XCTAssertTrue("\(error)".hasPrefix("position 5 (referral.accepted, stream referral-2024-0001): the referral lifecycle allows no such event from state REQUESTED"), "\(error)")
        }
    }

    /// An organisation's catalogue may seal resident_id: verify cannot derive those entries,
    /// passes the ledger, and still refuses more entries than the first events could account for.
    func testSealedResidentIdsLeaveOnlyTheCountToCheck() throws {
        // referral.made v2 is the version referralMade() records.
        let schemas = try editedSchemas("referral.made.v2.json", replacing: "\"$ref\": \"#/$defs/residentId\",\n      \"x-data-class\": \"P\"",
                                        with: "\"$ref\": \"#/$defs/residentId\",\n      \"x-data-class\": \"I\"")
        defer { try? FileManager.default.removeItem(atPath: schemas) }
        let custom = try ScratchLedger(schemas: schemas)
        defer { custom.cleanUp() }
        XCTAssertEqual(custom.ledger.catalogue.type("referral.made")?.dataClass(of: "resident_id"), .i)
        try custom.append(referralMade("referral-2024-0001"), referralMade("referral-2024-0002"))
        XCTAssertEqual(try custom.ledger.read { try $0.residentStreams("R000123") }, ["referral-2024-0001", "referral-2024-0002"])
        XCTAssertEqual(try custom.ledger.verify().size, 2)
        try custom.ledger.env.write { txn in
            try txn.put(custom.ledger.db.residentStreams, Keys.u64(UInt64(3)), Array("R000123\u{0}referral-2024-0009".utf8), options: .append)
        }
        XCTAssertThrowsError(try custom.ledger.verify()) { error in
            XCTAssertTrue("\(error)".contains("the resident-streams index holds entries that no event in the log accounts for"), "\(error)")
        }
    }

    /// A catalogue that seals a field a lifecycle reads (the organisation a consent is for):
    /// verify cannot replay that resident's consents, leaves the stream unchecked and says so.
    func testAStreamWhoseLifecycleReadsASealedFieldIsLeftUnchecked() throws {
        let schemas = try editedSchemas("consent.given.v1.json", replacing: "\"$ref\": \"#/$defs/organisationId\",\n      \"x-data-class\": \"N\"",
                                        with: "\"$ref\": \"#/$defs/organisationId\",\n      \"x-data-class\": \"I\"")
        defer { try? FileManager.default.removeItem(atPath: schemas) }
        let custom = try ScratchLedger(schemas: schemas)
        defer { custom.cleanUp() }
        try custom.append(event("consent.given", "resident-R000123", #"{"scope":"share_with_organisation","organisation_id":"org-ggd","method":"verbal"}"#),
                          referralMade("referral-2024-0001"))
        let report = try custom.ledger.verify()
        XCTAssertEqual(report.streamsWithStates, 2)
        XCTAssertEqual(report.unchecked, 1, "the resident's stream; the referral is checked")
    }

    func testAStreamReadsBackFromItsHeadInOrder() throws {
        try fill(2)
        try scratch.append(referralMade(), event("contact.recorded", "contact-x", #"{"mode":"street","topics":["safety"]}"#),
                           event("referral.accepted", "referral-2024-0042"))
        let positions = try scratch.ledger.read { try $0.streamPositions("referral-2024-0042") }
        XCTAssertEqual(positions.map(\.version), [1, 2])
        XCTAssertEqual(positions.map(\.position), [3, 5])
        XCTAssertEqual(try scratch.ledger.read { try $0.streamPositions("referral-2024-0999") }.count, 0)
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
