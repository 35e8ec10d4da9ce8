import Foundation
import XCTest
import Catalogue
import JSON
@testable import Ledger
import Privacy
@testable import Projections
import Merkle
import TextFormats

private let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Schemas").path

/// A ledger with a key store and a read-model store in a temporary directory.
final class ProjectionFixture {
    let path = NSTemporaryDirectory() + "buurtboek-projections-\(UUID().uuidString)"
    let ledger: Ledger
    let sealer: Sealer
    let preparer: EventPreparer
    let store: ReadModelStore
    var projection: Projection { Projection(ledger: ledger, sealer: sealer) }

    init() throws {
        // Created, closed, then opened with a sealer: the key store lives in the ledger's directory.
        _ = try Ledger.create(at: path, catalogue: try Catalogue.load(directory: schemas))
        try MasterKey.create(at: path + ".key")
        sealer = Sealer(keyStore: try KeyStore(ledgerPath: path, masterKey: try MasterKey.load(from: path + ".key")))
        ledger = try Ledger.open(at: path, sealer: sealer)
        preparer = EventPreparer(catalogue: ledger.catalogue, defaultWorker: "w-test", sealer: sealer)
        store = try ReadModelStore(path: ReadModelStore.livePath(ledger: path))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.removeItem(atPath: path + ".key")
    }

    func append(_ lines: [String]) throws {
        preparer.now = Clock.nowMicros()
        let events = try lines.map { try preparer.prepare(line: Array($0.utf8), source: "test") }
        try sealer.persist()
        for outcome in try ledger.append(events, mode: .atomic) {
            if case .refused(let error) = outcome { throw error }
        }
    }

    /// The digests of models folded from position 1 in memory, written to a scratch store.
    func replayDigests(upTo position: UInt64 = .max, jobs: Int = 2) throws -> [String: ModelDigest] {
        let models = try projection.fold(Projectors.all, upTo: position, jobs: jobs)
        let scratch = try ReadModelStore(path: path + "/scratch-\(UUID().uuidString)")
        let head = min(position, try projection.head())
        return Dictionary(uniqueKeysWithValues: try projection.save(models, position: head, to: scratch).map { ($0.name, $0.digest) })
    }

    func liveDigests() throws -> [String: ModelDigest] {
        Dictionary(uniqueKeysWithValues: try projection.catchUp(Projectors.all, store: store).map { ($0.name, $0.digest) })
    }
}

func line(_ type: String, _ stream: String, _ data: String, at: String = "2025-03-03T10:00:00Z", version: Int? = nil) -> String {
    #"{"type":"\#(type)",\#(version.map { "\"schemaVersion\":\($0)," } ?? "")"stream":"\#(stream)","neighbourhood":"BU00340101","occurredAt":"\#(at)","data":\#(data)}"#
}

let madeV1 = #"{"resident_id":"R000001","target_organisation":"org-a1","service":"debt_help","handover":"warm","support_level":"light"}"#
let madeV2 = #"{"resident_id":"R000002","target_organisation":"org-a1","service":"debt_help","handover":"cold","support_level":"light","urgency":"soon"}"#

final class ProjectionTests: XCTestCase {
    func testOldVersionsAreReadThroughTheUpcaster() throws {
        let f = try ProjectionFixture()
        try f.append([line("referral.made", "referral-1", madeV1, version: 1), line("referral.made", "referral-2", madeV2)])
        let referrals = try f.projection.current([ReferralsModel.self], store: f.store)[0] as! ReferralsModel
        let rows = Dictionary(uniqueKeysWithValues: referrals.rows.entries.map { ($0.key, $0.row) })
        XCTAssertEqual(rows["referral-1"]?.urgency, "unknown")
        XCTAssertEqual(rows["referral-2"]?.urgency, "soon")
        let lifted = Upcasting.lift(type: "referral.made", version: 1, data: EventData(node: nil))
        XCTAssertEqual(lifted.0, 2)
        XCTAssertEqual(lifted.1["urgency"], .string("unknown"))
        XCTAssertEqual(Upcasting.lift(type: "referral.made", version: 2, data: EventData(node: nil)).0, 2, "the latest passes as it is")
    }

    func testIncrementalCatchUpEqualsAFoldFromTheStartAtEveryStep() throws {
        let f = try ProjectionFixture()
        try f.append([line("referral.made", "referral-1", madeV1, version: 1),
                      line("initiative.proposed", "initiative-1", #"{"title":"Clean-up","theme":"clean_up"}"#)])
        XCTAssertEqual(try f.liveDigests(), try f.replayDigests())
        let afterTwo = try f.liveDigests()
        try f.append([line("referral.accepted", "referral-1", "{}", at: "2025-03-05T10:00:00Z"),
                      line("activity.held", "initiative-1", #"{"activity_kind":"clean_up","attendance":12}"#, at: "2025-03-09T10:00:00Z")])
        XCTAssertEqual(try f.liveDigests(), try f.replayDigests())
        XCTAssertEqual(try f.replayDigests(upTo: 2), afterTwo, "a prefix replay equals the models as they stood")
        XCTAssertEqual(try f.replayDigests(jobs: 1), try f.replayDigests(jobs: 2), "one thread or two")
    }

    func testCorrectionsAmendAndVoidWhatProjectorsHold() throws {
        let f = try ProjectionFixture()
        try f.append([line("referral.made", "referral-1", madeV1, version: 1),
                      line("referral.accepted", "referral-1", "{}", at: "2025-03-05T10:00:00Z"),
                      line("initiative.proposed", "initiative-1", #"{"title":"Clean-up","theme":"clean_up"}"#),
                      line("activity.held", "initiative-1", #"{"activity_kind":"clean_up","attendance":43}"#)])
        _ = try f.liveDigests()
        func correction(_ position: Int, _ id: String, _ action: String, _ fields: String = "") -> String {
            line("ledger.correction_recorded", "correction-\(position)",
                 #"{"corrects_position":\#(position),"corrects_event_id":"\#(id)","action":"\#(action)","reason":"test"\#(fields)}"#)
        }
        let ids = try f.ledger.read { s in try (1...4).map { UUIDText.format(try s.record(at: UInt64($0))!.id) } }
        try f.append([correction(2, ids[1], "void"), correction(4, ids[3], "amend", #","fields":{"attendance":34}"#)])
        XCTAssertEqual(try f.liveDigests(), try f.replayDigests(), "live and rebuilt agree after corrections")
        let models = try f.projection.current([ReferralsModel.self, NeighbourhoodOverview.self, InitiativesModel.self], store: f.store)
        let referral = (models[0] as! ReferralsModel).rows.entries.first!.row
        XCTAssertNotNil(referral.made)
        XCTAssertNil(referral.accepted, "the voided acceptance is gone")
        let attendance = (models[1] as! NeighbourhoodOverview).rows.entries.reduce(Int64(0)) { $0 + $1.row[.attendance] }
        XCTAssertEqual(attendance, 34)
        XCTAssertEqual((models[2] as! InitiativesModel).rows.entries.first!.row.attendance, 34)
    }

    func testABumpedVersionRebuildsAndAModelCanBeRebuiltOnDemand() throws {
        let f = try ProjectionFixture()
        try f.append([line("referral.made", "referral-1", madeV1, version: 1)])
        let first = try f.projection.catchUp([ReferralsModel.self], store: f.store)[0]
        XCTAssertTrue(first.rebuilt)
        XCTAssertFalse(try f.projection.catchUp([ReferralsModel.self], store: f.store)[0].rebuilt)
        var older = try XCTUnwrap(try f.store.states()["referrals"])
        older.version = 0
        try f.store.env.write { txn in try f.store.setState("referrals", older, in: txn) }
        let again = try f.projection.catchUp([ReferralsModel.self], store: f.store)[0]
        XCTAssertTrue(again.rebuilt, "a model built by another version is rebuilt")
        XCTAssertEqual(again.digest, first.digest)
        XCTAssertTrue(try f.projection.catchUp([ReferralsModel.self], rebuild: true, store: f.store)[0].rebuilt)
    }

    func testAModelFoldedFromAnotherLogIsRebuilt() throws {
        let f = try ProjectionFixture()
        try f.append([line("referral.made", "referral-1", madeV1, version: 1)])
        let first = try f.projection.catchUp([ReferralsModel.self], store: f.store)[0]
        XCTAssertFalse(try f.projection.catchUp([ReferralsModel.self], store: f.store)[0].rebuilt)
        // The same position over different events: the recorded log root no longer matches.
        var state = try XCTUnwrap(try f.store.states()["referrals"])
        XCTAssertEqual(state.logRoot, try f.ledger.read { try $0.root(size: 1).bytes })
        state.logRoot = Hash.sha256(Array("another log".utf8)).bytes
        try f.store.env.write { txn in try f.store.setState("referrals", state, in: txn) }
        let again = try f.projection.catchUp([ReferralsModel.self], store: f.store)[0]
        XCTAssertTrue(again.rebuilt)
        XCTAssertEqual(again.digest, first.digest)
        // A model ahead of the log (the log was replaced by a shorter one) is rebuilt too.
        state = try XCTUnwrap(try f.store.states()["referrals"])
        state.position = 50
        try f.store.env.write { txn in try f.store.setState("referrals", state, in: txn) }
        XCTAssertTrue(try f.projection.catchUp([ReferralsModel.self], store: f.store)[0].rebuilt)
    }

    func testACheckFindsEveryRowThatDiffersFromARebuild() throws {
        let f = try ProjectionFixture()
        try f.append([line("referral.made", "referral-1", madeV1, version: 1), line("referral.made", "referral-2", madeV2)])
        try f.projection.catchUp(Projectors.all, store: f.store)
        let scratch = try ReadModelStore(path: f.path + "/scratch")
        _ = try f.projection.save(try f.projection.fold(Projectors.all, upTo: 2), position: 2, to: scratch)
        XCTAssertEqual(try Projection.differences(Projectors.all, live: f.store, rebuilt: scratch), [])
        // Tamper with the live model: one row changed, one row added.
        var row = ReferralsModel.Row()
        row.service = "legal_aid"
        try f.store.env.write { txn in
            let db = f.store.database("referrals", "referrals")
            try txn.put(db, Array("referral-1".utf8), row.encoded)
            try txn.put(db, Array("referral-9".utf8), row.encoded)
        }
        let found = try Projection.differences(Projectors.all, live: f.store, rebuilt: scratch)
        XCTAssertEqual(found.count, 2, "\(found)")
        XCTAssertTrue(found.contains { $0.hasPrefix("referrals/referrals referral-1: live ") && $0.contains("legal_aid") }, "\(found)")
        XCTAssertTrue(found.contains { $0 == "referrals/referrals referral-9: only in the live model" }, "\(found)")
        // An analyst (a replay through a team server) is told how many rows of a table differ,
        // never their keys, which name streams.
        let replay = Replay(types: Projectors.all, position: 2, label: nil, scratch: f.path + "/scratch", live: "live")
        let told = replay.json(Replay.Result(statuses: [], seconds: 0, differences: found), rowsShown: false)
        XCTAssertEqual(told["differences"]?.array?.compactMap(\.string), ["referrals/referrals: 2 differences (rows withheld: they name streams)"])
        XCTAssertEqual(told["differenceCount"]?.int, 2)
        XCTAssertEqual(replay.json(Replay.Result(statuses: [], seconds: 0, differences: found))["differences"]?.array?.count, 2)
        XCTAssertNil(replay.json(Replay.Result(statuses: [], seconds: 0, differences: nil))["differenceCount"])
    }

    func testADamagedRowIsAnErrorNotATrap() throws {
        let f = try ProjectionFixture()
        try f.append([line("referral.made", "referral-1", madeV1, version: 1)])
        try f.projection.catchUp([ReferralsModel.self], store: f.store)
        try f.store.env.write { txn in try txn.put(f.store.database("referrals", "referrals"), Array("referral-1".utf8), [1, 2, 3]) }
        XCTAssertThrowsError(try f.projection.current([ReferralsModel.self], store: f.store)) { XCTAssertTrue($0 is RowFormatError, "\($0)") }
        try f.append([line("referral.accepted", "referral-1", "{}")])
        XCTAssertThrowsError(try f.projection.catchUp([ReferralsModel.self], store: f.store)) { XCTAssertTrue($0 is RowFormatError, "\($0)") }
        XCTAssertNoThrow(try f.projection.catchUp([ReferralsModel.self], rebuild: true, store: f.store), "a rebuild repairs it")
    }

    func testWellbeingNeedsTheKeyAndErasurePurgesItsRows() throws {
        let f = try ProjectionFixture()
        try f.append([
            line("consent.given", "resident-R000001", #"{"scope":"measure_wellbeing","method":"verbal"}"#, at: "2025-03-01T10:00:00Z"),
            line("wellbeing.measured", "resident-R000001", #"{"instrument":"swemwbs","moment":"baseline","score":20}"#, at: "2025-03-01T10:10:00Z"),
            line("wellbeing.measured", "resident-R000001", #"{"instrument":"swemwbs","moment":"follow_up","score":24}"#, at: "2025-06-01T10:10:00Z"),
        ])
        let keyless = Projection(ledger: f.ledger, sealer: nil)
        XCTAssertNotNil(try keyless.catchUp([WellbeingModel.self], store: f.store)[0].skipped)
        XCTAssertThrowsError(try keyless.fold([WellbeingModel.self], upTo: 3))
        let model = try f.projection.current([WellbeingModel.self], store: f.store)[0] as! WellbeingModel
        let instrument = model.rows.entries.first!.row.instruments[0]
        XCTAssertEqual(instrument.baseline?.scores, [20])
        XCTAssertEqual(instrument.followUp?.scores, [24])
        XCTAssertEqual(try Projection.purge(residentStream: "resident-R000001", store: f.store), 1)
        XCTAssertEqual(try f.store.states()["wellbeing"]?.digest, ModelDigest(), "no rows left, digest of nothing")
    }
}

final class RowAndDigestTests: XCTestCase {
    func testRowsRoundTripThroughTheirBytes() throws {
        var referral = ReferralsModel.Row()
        referral.neighbourhood = "BU00340101"; referral.made = 5; referral.accompanied = false; referral.feedbackSent = true; referral.due = -3
        XCTAssertEqual(try referral.encoded.withUnsafeBytes { try ReferralsModel.Row.decode($0) }, referral)
        var network = NetworkModel.Row()
        network.kind = .network
        network.partners = [NetworkModel.Partner(organisation: "org-a1", organisationType: "care", span: .init(start: 1, end: 9))]
        network.spans = [.init(start: 1, end: nil)]
        network.tie = .init(start: 4, end: nil)
        XCTAssertEqual(try network.encoded.withUnsafeBytes { try NetworkModel.Row.decode($0) }, network)
        var signal = SignalsModel.Row()
        signal.stageMicros = [1, 2, 3, 4]; signal.pendingDue = 77; signal.state = "RESPONDED"
        XCTAssertEqual(try signal.encoded.withUnsafeBytes { try SignalsModel.Row.decode($0) }, signal)
        var wellbeing = WellbeingModel.Row()
        wellbeing.instruments = [.init(name: "ons4", baseline: .init(at: 1, scores: [1, 2, 3, 4]), followUp: nil)]
        XCTAssertEqual(try wellbeing.encoded.withUnsafeBytes { try WellbeingModel.Row.decode($0) }, wellbeing)
        // Cut short or with bytes to spare: an error.
        let bytes = referral.encoded
        XCTAssertThrowsError(try Array(bytes.dropLast()).withUnsafeBytes { try ReferralsModel.Row.decode($0) })
        XCTAssertThrowsError(try (bytes + [0]).withUnsafeBytes { try ReferralsModel.Row.decode($0) })
    }

    func testDigestsIgnoreOrderAndUndoRemovals() {
        let rows: [(String, [UInt8])] = [("a", [1]), ("b", [2, 3]), ("c", [])]
        var forward = ModelDigest(), backward = ModelDigest()
        for (k, v) in rows { v.withUnsafeBytes { forward.add("t", k, $0) } }
        for (k, v) in rows.reversed() { v.withUnsafeBytes { backward.add("t", k, $0) } }
        XCTAssertEqual(forward, backward)
        XCTAssertNotEqual(forward, ModelDigest())
        for (k, v) in rows { v.withUnsafeBytes { forward.remove("t", k, $0) } }
        XCTAssertEqual(forward, ModelDigest())
        var other = ModelDigest()
        [UInt8]([1]).withUnsafeBytes { other.add("u", "a", $0) }
        var same = ModelDigest()
        [UInt8]([1]).withUnsafeBytes { same.add("t", "a", $0) }
        XCTAssertNotEqual(other, same, "the table name is part of the entry")
    }

    func testRowKeysCompareByTheirText() {
        XCTAssertEqual(RowKey("referral-2025-000042"), RowKey("referral-2025-000042"))
        XCTAssertNotEqual(RowKey("referral-2025-000042"), RowKey("referral-2025-000043"))
        let keys = Set((0..<10_000).map { RowKey("signal-2025-\($0)") })
        XCTAssertEqual(keys.count, 10_000)
    }
}
