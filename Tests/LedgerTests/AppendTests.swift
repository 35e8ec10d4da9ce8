import XCTest
import Catalogue
@testable import Ledger
import Merkle

final class AppendTests: ScratchLedgerTestCase {

    /// Events validated by a catalogue no longer in force are never written under another: the
    /// batch is refused whole, as a conflict to run again, and the log is left as it was.
    func testEventsAreWrittenOnlyWhileTheCatalogueThatValidatedThemIsInForce() throws {
        let stale = scratch.ledger.inForce
        let event = try scratch.prepare(referralMade())
        try scratch.sealer.persist()
        let bundle = String(decoding: stale.catalogue.bundle, as: UTF8.self).replacing(#""maxDataBytes":65536"#, with: #""maxDataBytes":65000"#)
        XCTAssertNotEqual(Array(bundle.utf8), stale.catalogue.bundle)
        let installed = try scratch.ledger.install(catalogue: try Catalogue.received(bundle: Array(bundle.utf8)))
        XCTAssertEqual(installed.number, stale.number + 1)
        XCTAssertEqual(try scratch.ledger.refreshCatalogue().number, installed.number)
        XCTAssertThrowsError(try scratch.ledger.append([event], validatedBy: stale.number)) { error in
            XCTAssertEqual((error as? LedgerError)?.kind, .conflict)
            XCTAssertEqual((error as? LedgerError)?.message, "the catalogue was updated (to number 2) while this command ran; run it again")
        }
        XCTAssertEqual(scratch.size, 0)
        // Prepared under the catalogue in force, the same event goes in, recorded under it.
        var preparedWith: [Int] = []
        let outcomes = try scratch.ledger.append(preparing: { catalogue in
            preparedWith.append(catalogue.maxDataBytes)
            return [try EventPreparer(catalogue: catalogue, defaultWorker: "w-test", sealer: scratch.sealer).prepare(line: Array(referralMade().utf8), source: "event")]
        })
        guard case .appended(1, 1) = outcomes[0] else { return XCTFail("\(outcomes)") }
        XCTAssertEqual(preparedWith, [65000])
        XCTAssertEqual(try scratch.ledger.read { try $0.catalogueHistory() }.map(\.number), [2])
    }

    func testPositionsAreGaplessAndStreamVersionsCount() throws {
        let outcomes = try scratch.append(referralMade(), event("referral.accepted", "referral-2024-0042"),
                                          referralMade("referral-2024-0043"))
        let placed = outcomes.map { outcome -> (UInt64, UInt64) in
            guard case .appended(let p, let v) = outcome else { XCTFail("\(outcome)"); return (0, 0) }
            return (p, v)
        }
        XCTAssertEqual(placed.map(\.0), [1, 2, 3])
        XCTAssertEqual(placed.map(\.1), [1, 2, 1])
        try scratch.ledger.read { s in
            XCTAssertEqual(try s.streamPositions("referral-2024-0042").map(\.position), [1, 2])
            XCTAssertEqual(try s.positions(ofType: "referral.made"), [1, 3])
            XCTAssertEqual(try s.lifecycleStates("referral-2024-0042").map(\.state), ["ACCEPTED"])
        }
    }

    /// Two versions of one type in one batch are gathered apart; their positions must still
    /// come out as one ascending list, and verify must agree.
    func testTwoVersionsOfATypeShareOneOrderedTypeIndex() throws {
        func v1(_ stream: String) -> String {
            #"{"type":"referral.made","schemaVersion":1,"stream":"\#(stream)","data":{"resident_id":"R000123","target_organisation":"org-buurtwerk","service":"debt_help","handover":"warm","support_level":"moderate"}}"#
        }
        try scratch.append(referralMade("referral-2024-0001"), v1("referral-2024-0002"), referralMade("referral-2024-0003"), v1("referral-2024-0004"))
        XCTAssertEqual(try scratch.ledger.read { try $0.positions(ofType: "referral.made") }, [1, 2, 3, 4])
        XCTAssertEqual(try scratch.ledger.verify().size, 4)
    }

    /// The writer gathers the positions of a run of events on one day apart from the others:
    /// a day that comes back later in the batch (a late entry) must still get all its positions,
    /// in order, and types interleaved event by event each theirs.
    func testDaysThatComeBackInOneBatchKeepAllTheirPositions() throws {
        let days = ["2024-03-04", "2024-03-04", "2024-03-05", "2024-03-04", "2024-03-06", "2024-03-05"]
        let lines = days.enumerated().map { i, day in
            i % 2 == 0
                ? event("contact.recorded", "contact-\(i)", #"{"mode":"street","topics":["safety"]}"#, extra: #","occurredAt":"\#(day)T10:00:00Z""#)
                : event("signal.raised", "signal-2024-000\(i)", #"{"category":"safety","raised_by":"resident","description":"Losse stoeptegels"}"#,
                        extra: #","occurredAt":"\#(day)T10:00:00Z""#)
        }
        _ = try scratch.ledger.append(try lines.map { try scratch.prepare($0) })
        let march4 = 19_786  // days since 1970-01-01
        try scratch.ledger.read { s in
            XCTAssertEqual(try s.positions(occurredFromDay: march4, toDay: march4), [1, 2, 4])
            XCTAssertEqual(try s.positions(occurredFromDay: march4 + 1, toDay: march4 + 1), [3, 6])
            XCTAssertEqual(try s.positions(occurredFromDay: march4 + 2, toDay: march4 + 2), [5])
            XCTAssertEqual(try s.positions(ofType: "contact.recorded"), [1, 3, 5])
            XCTAssertEqual(try s.positions(ofType: "signal.raised"), [2, 4, 6])
        }
        XCTAssertEqual(try scratch.ledger.verify().size, 6)
    }

    /// Single appends add to the type's last block while it is small; a full one is left alone.
    func testSmallTypeBlocksAreMergedIntoAndFullOnesLeftAlone() throws {
        func contacts(_ range: Range<Int>) -> [String] {
            range.map { event("contact.recorded", "contact-\($0)", #"{"mode":"street","topics":["safety"]}"#) }
        }
        func blockCount() throws -> Int {
            try scratch.ledger.read { s in
                var n = 0
                try PostingBlocks.blocks(withPrefix: PostingBlocks.prefix(Array("contact.recorded".utf8)), cursor: try s.txn.cursor(s.db.types)) { _ in n += 1; return true }
                return n
            }
        }
        for i in 0..<3 { try scratch.append(contacts(i..<i + 1)[0]) }
        XCTAssertEqual(try blockCount(), 1)
        let batch = try contacts(3..<603).map { try scratch.prepare($0) }
        _ = try scratch.ledger.append(batch)
        XCTAssertEqual(try blockCount(), 1, "600 positions join the block of 3")
        try scratch.append(contacts(603..<604)[0])
        XCTAssertEqual(try blockCount(), 2, "a block of 603 is not rewritten for one more")
        XCTAssertEqual(try scratch.ledger.read { try $0.positions(ofType: "contact.recorded") }, Array(1...604))
        XCTAssertEqual(try scratch.ledger.read { try $0.count(ofTypes: ["contact.recorded", "referral.made"]) }, 604)
        XCTAssertEqual(try scratch.ledger.verify().size, 604)
    }

    /// A head's lifecycle states stay sorted by lifecycle through inserts and updates, and
    /// read back from the stored bytes.
    func testAStreamHeadKeepsItsStatesSortedAndReadsThemBack() throws {
        var bytes: [UInt8] = []
        StreamIndex.Head.encode(version: 3, last: 42, previous: UnsafeRawBufferPointer(start: nil, count: 0), changes: [], into: &bytes)
        // One change at a time, each from the last head, and then several at once.
        for (lifecycle, state) in [("mid", "ONE"), ("alpha", "A"), ("zulu", "Z"), ("mid", "TWO-LONGER"), ("alpha", "")] {
            let previous = Array(bytes[16...])
            previous.withUnsafeBytes {
                StreamIndex.Head.encode(version: 3, last: 42, previous: $0, changes: [(Array(lifecycle.utf8), Array(state.utf8))], into: &bytes)
            }
        }
        var together: [UInt8] = []
        Array(bytes[16...]).withUnsafeBytes {
            StreamIndex.Head.encode(version: 4, last: 50, previous: $0,
                                    changes: [(Array("beta".utf8), Array("B".utf8)), (Array("mid".utf8), Array("THREE".utf8))], into: &together)
        }
        let both = try together.withUnsafeBytes { try StreamIndex.Head($0).states }
        XCTAssertEqual(both.map { String(decoding: $0.lifecycle, as: UTF8.self) + "=" + String(decoding: $0.state, as: UTF8.self) },
                       ["alpha=", "beta=B", "mid=THREE", "zulu=Z"])
        try bytes.withUnsafeBytes { raw in
            let read = try StreamIndex.Head(raw)
            XCTAssertEqual(read.version, 3)
            XCTAssertEqual(read.last, 42)
            XCTAssertEqual(read.states.map { String(decoding: $0.lifecycle, as: UTF8.self) + "=" + String(decoding: $0.state, as: UTF8.self) },
                           ["alpha=", "mid=TWO-LONGER", "zulu=Z"])
            XCTAssertEqual(read.state(of: Array("mid".utf8)).map(Array.init), Array("TWO-LONGER".utf8))
            XCTAssertNil(read.state(of: Array("mi".utf8)))
        }
        // A truncated head is refused, not misread.
        XCTAssertThrowsError(try bytes.dropLast().withUnsafeBytes { try StreamIndex.Head($0) })
    }

    func testTheSameIdTwiceIsAlreadyRecordedAndDifferentContentIsRefused() throws {
        let id = "0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e6f"
        try scratch.append(referralMade(id: id))
        guard case .alreadyRecorded(let position) = try scratch.append(referralMade(id: id))[0] else { return XCTFail() }
        XCTAssertEqual(position, 1)
        XCTAssertEqual(scratch.size, 1)
        XCTAssertThrowsError(try scratch.append(referralMade(id: id, extra: #","due_date":"2024-05-01""#))) { error in
            XCTAssertEqual((error as? LedgerError)?.kind, .refused)
            XCTAssertTrue("\(error)".contains("already recorded at position 1 with different content"), "\(error)")
        }
        XCTAssertEqual(scratch.size, 1)
    }

    func testExpectedVersionsConflictAndNameStreamExpectedAndActual() throws {
        try scratch.append(referralMade())
        for (expected, ok) in [("\"none\"", false), ("\"exists\"", true), ("1", true), ("2", false), ("\"any\"", true)] {
            let line = event("referral.first_contact_made", "referral-2024-0042", #"{"accompanied_by_referrer":true,"mode":"phone"}"#,
                             extra: #","expectedVersion":\#(expected)"#)
            if ok {
                // The version admits the event; the lifecycle (first contact before acceptance) then refuses it.
                XCTAssertThrowsError(try scratch.append(line)) { error in
                    XCTAssertEqual((error as? LedgerError)?.kind, .refused, "expected version \(expected) is admitted: \(error)")
                }
                continue
            }
            XCTAssertThrowsError(try scratch.append(line)) { error in
                XCTAssertEqual((error as? LedgerError)?.kind, .conflict)
                XCTAssertTrue("\(error)".contains("referral-2024-0042"))
                XCTAssertTrue("\(error)".contains("the stream is at 1"), "\(error)")
            }
        }
        try scratch.append(event("referral.accepted", "referral-2024-0042", extra: #","expectedVersion":1"#))
        XCTAssertThrowsError(try scratch.append(referralMade("referral-2024-0099", extra: "") .replacingOccurrences(of: #""type""#, with: #""expectedVersion":"exists","type""#)))
    }

    func testLifecycleRefusalNamesStateAndAllowedEvents() throws {
        try scratch.append(referralMade())
        XCTAssertThrowsError(try scratch.append(event("referral.completed", "referral-2024-0042", #"{"outcome":"goal_reached"}"#))) { error in
            let text = "\(error)"
            XCTAssertEqual((error as? LedgerError)?.kind, .refused)
            XCTAssertTrue(text.contains("not allowed in state REQUESTED"), text)
            XCTAssertTrue(text.contains("referral.accepted"), text)
        }
        // Guards: closing with reason "completed" needs a completed referral.
        XCTAssertThrowsError(try scratch.append(event("referral.closed", "referral-2024-0042", #"{"reason":"completed","feedback_to_referrer_sent":true}"#))) { error in
            XCTAssertTrue("\(error)".contains("reason != completed"), "\(error)")
        }
        try scratch.append(event("referral.declined", "referral-2024-0042", #"{"reason":"not_ready"}"#))
        XCTAssertThrowsError(try scratch.append(event("referral.accepted", "referral-2024-0042"))) { error in
            XCTAssertTrue("\(error)".contains("terminal state DECLINED"), "\(error)")
        }
    }

    func testABatchIsAllOrNothing() throws {
        XCTAssertThrowsError(try scratch.append(referralMade(), event("referral.completed", "referral-2024-0042", #"{"outcome":"goal_reached"}"#)))
        XCTAssertEqual(scratch.size, 0, "the valid first event was not written either")
        XCTAssertEqual(try scratch.ledger.read { try $0.lifecycleStates("referral-2024-0042") }.count, 0)
        let outcomes = try scratch.append(referralMade(), event("referral.completed", "referral-2024-0042", #"{"outcome":"goal_reached"}"#), mode: .skipRefused)
        guard case .appended = outcomes[0], case .refused = outcomes[1] else { return XCTFail("\(outcomes)") }
        XCTAssertEqual(scratch.size, 1)
    }

    func testPerInstanceLifecycles() throws {
        let resident = "resident-R000123"
        try scratch.append(event("consent.given", resident, #"{"scope":"share_with_organisation","organisation_id":"org-ggd","method":"verbal"}"#))
        try scratch.append(event("consent.given", resident, #"{"scope":"share_with_organisation","organisation_id":"org-buurtzorg","method":"verbal"}"#))
        XCTAssertThrowsError(try scratch.append(event("consent.given", resident, #"{"scope":"share_with_organisation","organisation_id":"org-ggd","method":"written"}"#)))
        try scratch.append(event("consent.withdrawn", resident, #"{"scope":"share_with_organisation","organisation_id":"org-ggd","method":"written"}"#))
        let states = try scratch.ledger.read { try $0.lifecycleStates(resident) }
        XCTAssertEqual(Set(states.map { "\($0.lifecycle) \($0.instance) \($0.state)" }),
                       ["resident  ACTIVE", "consent share_with_organisation/org-ggd WITHDRAWN", "consent share_with_organisation/org-buurtzorg GIVEN"])
        try scratch.append(event("resident.erased", resident, #"{"request_ref":"AVG-2024-7","legal_basis":"gdpr_art17"}"#))
        XCTAssertThrowsError(try scratch.append(event("consent.given", resident, #"{"scope":"photos","method":"verbal"}"#))) { error in
            XCTAssertTrue("\(error)".contains("resident R000123 was erased"), "\(error)")
        }
    }

    /// A lifecycle instance's state lives in its stream's head under a name of at most 255
    /// bytes: a catalogue that allows longer instance fields gets a refusal, not a broken head.
    func testAnInstanceTooLongForTheHeadIsRefused() throws {
        let schemas = try editedSchemas("consent.given.v1.json", replacing: "[a-z0-9-]{1,48}$", with: "[a-z0-9-]{1,400}$")
        defer { try? FileManager.default.removeItem(atPath: schemas) }
        let custom = try ScratchLedger(schemas: schemas)
        defer { custom.cleanUp() }
        let organisation = "org-" + String(repeating: "a", count: 300)
        XCTAssertThrowsError(try custom.append(event("consent.given", "resident-R000123", #"{"scope":"share_with_organisation","organisation_id":"\#(organisation)","method":"verbal"}"#))) { error in
            XCTAssertTrue("\(error)".contains("/data/scope+organisation_id: identifies a consent of 328 bytes, more than the 247 a stream's head can hold"), "\(error)")
        }
        XCTAssertEqual(custom.size, 0)
        let fits = "org-" + String(repeating: "a", count: 200)
        try custom.append(event("consent.given", "resident-R000123", #"{"scope":"share_with_organisation","organisation_id":"\#(fits)","method":"verbal"}"#))
        XCTAssertEqual(try custom.ledger.read { try $0.lifecycleStates("resident-R000123") }.first { $0.lifecycle == "consent" }?.instance,
                       "share_with_organisation/" + fits)
    }

    func testValidationMessagesNameThePlaceAndTheRule() throws {
        let cases: [(String, String)] = [
            ("{", "malformed JSON"),
            (#"{"type":"referral.teleported","stream":"referral-1","data":{}}"#, "/type: unknown event type"),
            (#"{"type":"referral.made","stream":"signal-1","data":{}}"#, "/stream: \"signal-1\" is not a referral stream id"),
            (referralMade().replacingOccurrences(of: #""handover":"warm","#, with: ""), "/data/handover: is required"),
            (referralMade().replacingOccurrences(of: #""warm""#, with: #""lukewarm""#), #"/data/handover: must be one of "warm", "cold", "signpost""#),
            (referralMade(extra: #","colour":"red""#), "/data/colour: is not a known field"),
            (referralMade(extra: #","shares_data":"yes""#), "/data/shares_data: must be boolean, not string"),
            (referralMade().replacingOccurrences(of: #""type""#, with: #""occurredAt":"2999-01-01T00:00:00Z","type""#), "lies in the future"),
            (referralMade().replacingOccurrences(of: #""type""#, with: #""colour":1,"type""#), "/colour: unknown key"),
            (referralMade().replacingOccurrences(of: #""type""#, with: #""id":"nope","type""#), "/id: must be a UUID"),
            (referralMade(extra: #","reason":"\#(String(repeating: "x", count: 70_000))""#), "/data/reason: must be at most 2000 characters"),
        ]
        for (line, expected) in cases {
            XCTAssertThrowsError(try scratch.prepare(line, source: "line 7")) { error in
                XCTAssertTrue("\(error)".hasPrefix("line 7"), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "expected \(expected) in: \(error)")
            }
        }
    }

    func testPersonalFieldsAreSealedInTheirOwnSection() throws {
        try scratch.append(referralMade(extra: #","reason":"Huurachterstand","circumstances":["debts"]"#))
        try scratch.ledger.read { s in
            let record = try XCTUnwrap(try s.record(at: 1))
            let data = String(decoding: record.data, as: UTF8.self)
            XCTAssertTrue(record.isSealed)
            XCTAssertFalse(data.contains("Huurachterstand"))
            XCTAssertTrue(data.contains(#""resident_id":"R000123""#))
            XCTAssertFalse(String(decoding: record.personal, as: UTF8.self).contains("Huurachterstand"))
            let section = try SealedSection(record.personal)
            XCTAssertEqual(section.keyId, "resident:R000123")
            XCTAssertEqual(section.fields, ["circumstances", "reason"])
            guard case .clear(let clear) = try scratch.sealer.open(record.personal, eventId: record.id) else { return XCTFail() }
            XCTAssertEqual(String(decoding: clear, as: UTF8.self), #"{"circumstances":["debts"],"reason":"Huurachterstand"}"#)
        }
        // Without a sealer, personal fields are refused, naming them.
        let locked = EventPreparer(catalogue: scratch.ledger.catalogue, defaultWorker: "w-test")
        XCTAssertThrowsError(try locked.prepare(line: Array(referralMade(extra: #","reason":"x""#).utf8), source: "event")) { error in
            XCTAssertTrue("\(error)".contains("holds personal fields (reason)"), "\(error)")
            XCTAssertTrue("\(error)".contains("master key"), "\(error)")
        }
        XCTAssertNoThrow(try locked.prepare(line: Array(referralMade().utf8), source: "event"), "events without personal fields need no key")
    }

    func testRetriesOfSealedEventsAreRecognised() throws {
        let id = "0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e6f"
        try scratch.append(referralMade(id: id, extra: #","reason":"Huurachterstand""#))
        guard case .alreadyRecorded = try scratch.append(referralMade(id: id, extra: #","reason":"Huurachterstand""#))[0] else { return XCTFail() }
        XCTAssertThrowsError(try scratch.append(referralMade(id: id, extra: #","reason":"Iets anders""#)))
    }

    /// A batch that fills the map is run again in a grown map, refusals included.
    func testImportsGrowTheMapAndKeepTheirOutcomes() throws {
        let small = try ScratchLedger(initialMapSize: 256 << 10)
        defer { small.cleanUp() }
        var lines = (0..<3000).map { event("contact.recorded", "contact-\($0)", #"{"mode":"street","topics":["safety"],"summary":"\#(String(repeating: "tekst ", count: 40))"}"#) }
        lines[1500] = event("referral.accepted", "referral-1")
        let outcomes = try small.ledger.append(lines.map { try small.prepare($0) }, mode: .skipRefused)
        XCTAssertEqual(outcomes.filter { if case .appended = $0 { return true }; return false }.count, 2999)
        guard case .refused = outcomes[1500] else { return XCTFail("\(outcomes[1500])") }
        XCTAssertEqual(try small.ledger.verify().size, 2999)
        XCTAssertGreaterThan(small.ledger.environmentInfo.mapSize, 256 << 10)
    }

    /// Records are hashed into the tree off the writer's thread, in segments: whatever the batch
    /// sizes (across segment boundaries, several in one transaction, refusals in between), the
    /// stored tree is the tree of the stored records at every size.
    func testTheStoredTreeIsTheTreeOfTheStoredRecords() throws {
        var next = 0
        func contacts(_ n: Int) -> [String] {
            defer { next += n }
            return (next..<next + n).map { event("contact.recorded", "contact-tree-\($0)", #"{"mode":"street","topics":["safety"]}"#) }
        }
        _ = try scratch.ledger.append(try contacts(1).map { try scratch.prepare($0) })
        var batch = contacts(2600)
        batch[1100] = event("referral.accepted", "referral-404")
        _ = try scratch.ledger.append(try batch.map { try scratch.prepare($0) }, mode: .skipRefused)
        let first = try contacts(700).map { try scratch.prepare($0) }, second = try contacts(1030).map { try scratch.prepare($0) }
        _ = try scratch.ledger.transaction(mode: .atomic) { appender in
            _ = try appender.append(first)
            _ = try appender.append(second)
        }
        try scratch.ledger.read { snapshot in
            let size = try snapshot.size()
            XCTAssertEqual(size, 1 + 2599 + 700 + 1030)
            let leaves = try (1...size).map { Merkle.leafHash(try snapshot.record(at: $0)!.bytes) }
            // The roots from the stored tiles against a tree grown in memory from the records' leaves
            // (MerkleTests checks that tree against RFC 9162's definition and vectors).
            var grown = TreeFrontier.empty
            var rootAt: [Int: Hash] = [:]
            for (i, leaf) in leaves.enumerated() {
                grown.append(leaf: leaf) { _, _ in }
                rootAt[i + 1] = grown.root
            }
            for n in [1, 2, 1024, 1025, 1101, 2048, 2600, 3300, Int(size)] {
                XCTAssertEqual(try snapshot.root(size: UInt64(n)), rootAt[n], "size \(n)")
            }
        }
    }

    func testRecordRoundTripsThroughItsBytes() throws {
        try scratch.append(referralMade(extra: #","reason":"x""#).replacingOccurrences(of: #""type""#, with: #""correlationId":"case-9","causationId":"c-1","type""#))
        try scratch.ledger.read { s in
            let view = try XCTUnwrap(try s.record(at: 1))
            let record = Record(view)
            XCTAssertEqual(record.encoded(), Array(view.bytes))
            XCTAssertEqual(record.correlationId, "case-9")
            XCTAssertEqual(record.causationId, "c-1")
            XCTAssertEqual(record.recordedBy, "w-test")
            XCTAssertEqual(Merkle.leafHash(view.bytes), try s.leafHash(at: 1))
        }
        XCTAssertThrowsError(try [UInt8](repeating: 1, count: 60).withUnsafeBytes { try RecordView($0) })
    }
}
