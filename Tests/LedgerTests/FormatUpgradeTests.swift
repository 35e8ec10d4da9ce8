import Foundation
import XCTest
@testable import Catalogue
@testable import Ledger
import LMDB
import Merkle

/// Ledgers of earlier formats, made here from a current one by putting its databases back in
/// the older layout (a ledger written by the format-1 build itself is upgraded in
/// `CLITests/UpgradeTests`).
final class FormatUpgradeTests: ScratchLedgerTestCase {

    /// A ledger of another format is refused on opening, before its databases are opened with
    /// flags they may not have; a format-1 ledger is told the way over.
    func testALedgerOfAnotherFormatIsRefusedWithTheWayOver() throws {
        try fill(2)
        // A format-4 ledger labelled format 1 fails the upgrade (format 1's databases had other
        // flags) and is left as it was.
        for (format, expected) in [("1", "has ledger format 1 and could not be upgraded to format 4"),
                                   ("5", "has ledger format 5; this build reads format 4")] {
            try scratch.ledger.env.write { try $0.put(scratch.ledger.db.meta, Array("format".utf8), Array(format.utf8)) }
            let copy = try copyOfScratchLedger("-format-\(format)")
            defer { try? FileManager.default.removeItem(atPath: copy) }
            XCTAssertThrowsError(try Ledger.open(at: copy)) { error in
                XCTAssertEqual((error as? LedgerError)?.kind, .storage)
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
        }
    }

    /// A format-2 ledger (resident streams keyed by resident) is upgraded when opened: the same
    /// streams per resident come back, and new ones are added after them.
    func testAFormat2LedgerIsUpgradedWhenOpened() throws {
        try scratch.append(referralMade("referral-2024-0001"), referralMade("referral-2024-0002"),
                           referralMade("referral-2024-0003").replacingOccurrences(of: "R000123", with: "R000777"))
        let root = try scratch.ledger.verify().root
        // Back to format 2's layout: the key resident ‖ 0x00 ‖ stream, the value empty.
        try scratch.ledger.env.write { txn in
            let db = scratch.ledger.db
            let cursor = try txn.cursor(db.residentStreams)
            var values: [[UInt8]] = []
            var entry = try cursor.first()
            while let e = entry { values.append(Array(e.value)); entry = try cursor.next() }
            XCTAssertEqual(values.count, 3)
            try txn.empty(db.residentStreams)
            for value in values { try txn.put(db.residentStreams, value, []) }
        }
        try instanceStatesBackToFormat3(scratch.ledger)
        // And the tree as the first format-2 builds stored it: one entry per hash.
        try scratch.ledger.env.write { txn in
            let db = scratch.ledger.db
            var hashes: [[UInt8]] = []
            let cursor = try txn.cursor(db.tree)
            var entry = try cursor.first()
            while let e = entry {
                for start in stride(from: 0, to: e.value.count, by: Hash.size) { hashes.append(Array(e.value[start..<(start + Hash.size)])) }
                entry = try cursor.next()
            }
            XCTAssertEqual(hashes.count, 4, "three leaves and the subtree of the first two")
            try txn.empty(db.tree)
            for (i, hash) in hashes.enumerated() { try txn.put(db.tree, Keys.u64(UInt64(i)), hash, options: .append) }
            try txn.put(db.meta, Array("format".utf8), Array("2".utf8))
        }
        let copy = try copyOfScratchLedger("-format-2")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let upgraded = try Ledger.open(at: copy)
        try upgraded.read { s in
            XCTAssertEqual(try storedFormat(s), "4")
            XCTAssertEqual(try s.residentStreams("R000123"), ["referral-2024-0001", "referral-2024-0002"])
            XCTAssertEqual(try s.residentStreams("R000777"), ["referral-2024-0003"])
        }
        XCTAssertEqual(try upgraded.verify().root, root, "the tree's hashes back in tiles")
        let preparer = EventPreparer(catalogue: upgraded.catalogue, defaultWorker: "w-test")
        _ = try upgraded.append([try preparer.prepare(line: Array(referralMade("referral-2024-0004").utf8), source: "event")])
        try upgraded.read { s in
            XCTAssertEqual(try s.residentStreams("R000123"), ["referral-2024-0001", "referral-2024-0002", "referral-2024-0004"])
        }
        XCTAssertEqual(try upgraded.verify().size, 4)
    }

    /// A format-3 ledger (lifecycle instance states in `states`) is upgraded when opened: every
    /// state moves into its stream's head, `states` is deleted, and the consents and memberships
    /// it held still govern appends.
    func testAFormat3LedgerIsUpgradedWhenOpened() throws {
        let resident = "resident-R000123"
        try scratch.append(event("consent.given", resident, #"{"scope":"share_with_organisation","organisation_id":"org-schuldhulp-noord","method":"verbal"}"#),
                           event("consent.given", resident, #"{"scope":"share_with_organisation","organisation_id":"org-ggd","method":"verbal"}"#),
                           event("consent.withdrawn", resident, #"{"scope":"share_with_organisation","organisation_id":"org-ggd","method":"written"}"#),
                           referralMade("referral-2024-0001", extra: #","shares_data":true"#))
        let before = try scratch.ledger.read { try $0.lifecycleStates(resident) }
        XCTAssertEqual(before.filter { $0.lifecycle == "consent" }.count, 2)
        XCTAssertEqual(try instanceStatesBackToFormat3(scratch.ledger), 2)
        try scratch.ledger.env.write { try $0.put(scratch.ledger.db.meta, Array("format".utf8), Array("3".utf8)) }
        let copy = try copyOfScratchLedger("-format-3")
        defer { try? FileManager.default.removeItem(atPath: copy) }

        let upgraded = try Ledger.open(at: copy)
        try upgraded.read { s in
            XCTAssertEqual(try storedFormat(s), "4")
            XCTAssertEqual(try s.lifecycleStates(resident).map { "\($0.lifecycle) \($0.instance) \($0.state)" },
                           before.map { "\($0.lifecycle) \($0.instance) \($0.state)" })
        }
        XCTAssertThrowsError(try upgraded.env.databases([("states", [])], create: false), "states is deleted")
        let preparer = EventPreparer(catalogue: upgraded.catalogue, defaultWorker: "w-test")
        _ = try upgraded.append([try preparer.prepare(line: Array(referralMade("referral-2024-0002", extra: #","shares_data":true"#).utf8), source: "event")])
        let refused = referralMade("referral-2024-0003", extra: #","shares_data":true"#).replacingOccurrences(of: "org-schuldhulp-noord", with: "org-ggd")
        XCTAssertThrowsError(try upgraded.append([try preparer.prepare(line: Array(refused.utf8), source: "event")])) { error in
            XCTAssertTrue("\(error)".contains("has not given consent share_with_organisation with org-ggd"), "\(error)")
        }
        XCTAssertEqual(try upgraded.verify().size, 5)
    }

    /// The scratch ledger's data file copied into a directory of its own, to be opened there:
    /// one process should not open an environment twice. The caller removes it.
    func copyOfScratchLedger(_ suffix: String) throws -> String {
        let copy = scratch.path + suffix
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: scratch.path + "/data.mdb", toPath: copy + "/data.mdb")
        return copy
    }

    func storedFormat(_ s: LedgerSnapshot) throws -> String? {
        try s.txn.get(s.db.meta, Array("format".utf8)).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Puts a ledger's lifecycle instance states back where format 3 kept them: out of the stream
/// heads, into a `states` database (stream ‖ 0x00 ‖ lifecycle ‖ 0x00 ‖ instance -> state).
/// Returns how many it moved.
@discardableResult
func instanceStatesBackToFormat3(_ ledger: Ledger) throws -> Int {
    let states = try ledger.env.databases([("states", [])], create: true)[0]
    var moved = 0
    try ledger.env.write { txn in
        var heads: [([UInt8], [UInt8])] = []
        let cursor = try txn.cursor(ledger.db.streams.raw)
        var entry = try cursor.first()
        while let e = entry {
            let stream = Array(e.key)
            let head = try StreamIndex.Head(e.value)
            var kept: [(lifecycle: [UInt8], state: [UInt8])] = []
            for (name, state) in head.states {
                if name.contains(0) {
                    try txn.put(states, stream + [0] + name, state)
                    moved += 1
                } else {
                    kept.append((name, state))
                }
            }
            var bytes: [UInt8] = []
            StreamIndex.Head.encode(version: head.version, last: head.last, previous: UnsafeRawBufferPointer(start: nil, count: 0), changes: kept, into: &bytes)
            heads.append((stream, bytes))
            entry = try cursor.next()
        }
        for (stream, bytes) in heads { try txn.put(ledger.db.streams.raw, stream, bytes) }
    }
    return moved
}
