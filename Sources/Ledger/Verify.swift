import LMDB
import Merkle

/// The result of a full verification.
public struct VerifyReport: Sendable {
    public let size: UInt64
    public let root: Hash
    /// Streams whose heads hold lifecycle states, all checked by replay but `unchecked` (their
    /// machines read a field some event of theirs keeps sealed).
    public let streamsWithStates: Int
    public let unchecked: Int
    /// Events whose neighbourhood is not in the division in force when they occurred (under the
    /// register of the catalogue that validated them), and the first few of their positions.
    public let outsideDivision: Int
    public let firstOutsideDivision: [UInt64]
}

extension Ledger {
    /// Recomputes every leaf hash from the stored record bytes and every stored tree hash from
    /// the leaves, and checks the indexes against the log (see `IndexCheck.swift`). Throws an
    /// integrity error naming the first position that does not match.
    public func verify(progress: ((UInt64) -> Void)? = nil) throws -> VerifyReport {
        try read { snapshot in
            let txn = snapshot.txn
            let log = try txn.cursor(db.log)
            let tree = try txn.cursor(db.tree)
            var frontier = TreeFrontier.empty
            var expected = IndexDigests()
            let lifecycles = try ConcurrentReplay(try LifecycleReplay(txn, db: db, inForce: (catalogueNumber, catalogue)))
            defer { lifecycles.drain() }
            var links = try LinkReader(txn.cursor(db.streamLinks.raw))
            var position: UInt64 = 0
            var stored = try TreeTiles.Walker(tree)
            var entry = try log.first()
            do {
                while let e = entry {
                    position += 1
                    let key = Keys.readU64(e.key)
                    guard key == position else {
                        throw LedgerError(.integrity, "position \(position): missing from the log (the next stored position is \(key))")
                    }
                    let record: RecordView
                    do { record = try RecordView(e.value) } catch {
                        throw LedgerError(.integrity, "position \(position): \(error)")
                    }
                    try stored.check(leaf: Merkle.leafHash(e.value), position: position, frontier: &frontier)
                    try expected.add(record: record, position: position, link: try links.next(position))
                    lifecycles.add(record, position: position)
                    if position & 0xFFFF == 0 { progress?(position) }
                    entry = try log.next()
                }
            } catch {
                try lifecycles.throwIfFailed(before: position)
                throw error
            }
            try lifecycles.throwIfFailed(before: .max)
            let erasures = lifecycles.erasures()
            lifecycles.sortForCheck()
            let beyond = stored.index
            if try stored.next() != nil {
                throw LedgerError(.integrity, "the tree stores hash \(beyond) beyond the \(position) events in the log")
            }
            try links.checkNoneBeyond(position)
            try checkIndexes(snapshot, expected: expected, size: position)
            try checkErasures(snapshot, found: erasures)
            let (withStates, unchecked) = try lifecycles.finish(txn, db: db)
            let outside = lifecycles.outsideDivision
            return VerifyReport(size: position, root: frontier.root, streamsWithStates: withStates, unchecked: unchecked,
                                outsideDivision: outside.count, firstOutsideDivision: outside.first)
        }
    }
}
