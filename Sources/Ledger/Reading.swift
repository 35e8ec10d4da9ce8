import Catalogue
import LMDB
import Merkle

/// A consistent read of the ledger: everything read through one view comes from the same
/// snapshot, however many writers commit meanwhile. Record views are valid only inside it.
public struct LedgerSnapshot {
    let txn: Transaction
    let db: Ledger.Databases
    public let catalogue: Catalogue

    /// The number of events in the log (its last position).
    public func size() throws -> UInt64 {
        guard let last = try txn.cursor(db.log).last() else { return 0 }
        return Keys.readU64(last.key)
    }

    public func record(at position: UInt64) throws -> RecordView? {
        guard let bytes = try txn.get(db.log, Keys.u64(position)) else { return nil }
        return try RecordView(bytes)
    }

    /// The last position recorded at or before `micros` (0 when none): what the ledger knew
    /// then. recordedAt never decreases along the log, so a binary search finds it.
    public func lastPosition(recordedAtOrBefore micros: Int64) throws -> UInt64 {
        var low: UInt64 = 0, high = try size()
        while low < high {
            let mid = low + (high - low + 1) / 2
            guard let record = try record(at: mid) else { throw RecordFormatError(message: "position \(mid) is missing from the log") }
            if record.recordedAt <= micros { low = mid } else { high = mid - 1 }
        }
        return low
    }

    public func position(ofId id: [UInt8]) throws -> UInt64? {
        try txn.get(db.ids, id).map { Keys.readU64($0) }
    }

    /// Visits positions from `from` through `to` in order (reversed: from `to` down to `from`)
    /// until `body` returns false.
    public func scan(from: UInt64 = 1, to: UInt64 = .max, reverse: Bool = false,
                     _ body: (UInt64, RecordView) throws -> Bool) throws {
        let cursor = try txn.cursor(db.log)
        if reverse {
            var entry = to == .max ? try cursor.last() : try cursor.seek(Keys.u64(to))
            if let e = entry, Keys.readU64(e.key) > to { entry = try cursor.previous() }
            if entry == nil, to != .max { entry = try cursor.last() }
            while let e = entry, Keys.readU64(e.key) >= from {
                guard try body(Keys.readU64(e.key), try RecordView(e.value)) else { return }
                entry = try cursor.previous()
            }
        } else {
            var entry = try cursor.seek(Keys.u64(max(from, 1)))
            while let e = entry {
                let position = Keys.readU64(e.key)
                guard position <= to, try body(position, try RecordView(e.value)) else { return }
                entry = try cursor.next()
            }
        }
    }

    /// Visits the given positions (ascending) with one cursor: short gaps are stepped over,
    /// long ones sought, so a sparse subset of the log costs about one lookup per event.
    public func visit(_ positions: [UInt64], _ body: (UInt64, RecordView) throws -> Void) throws {
        let cursor = try txn.cursor(db.log)
        var current: (position: UInt64, entry: Cursor.Entry)?
        for wanted in positions {
            if let c = current, c.position < wanted, wanted - c.position <= 4 {
                current = nil
                while let e = try cursor.next() {
                    let p = Keys.readU64(e.key)
                    if p >= wanted { current = (p, e); break }
                }
            } else if current?.position != wanted {
                current = try cursor.seek(Keys.u64(wanted)).map { (Keys.readU64($0.key), $0) }
            }
            guard let c = current, c.position == wanted else { continue }
            try body(wanted, try RecordView(c.entry.value))
        }
    }

    /// How many events of each of `types` the log holds (one walk over each type's blocks).
    public func count(ofTypes types: [String]) throws -> Int {
        let cursor = try txn.cursor(db.types)
        var n = 0
        for type in types { n += try PostingBlocks.count(withPrefix: PostingBlocks.prefix(Array(type.utf8)), cursor: cursor) }
        return n
    }

    /// A stream's events as (stream version, position), in order.
    public func streamPositions(_ stream: String) throws -> [(version: UInt64, position: UInt64)] {
        try StreamIndex.positions(of: Array(stream.utf8), txn: txn, db: db)
    }

    /// Positions of every event of `type`, ascending.
    public func positions(ofType type: String) throws -> [UInt64] {
        try PostingBlocks.positions(withPrefix: PostingBlocks.prefix(Array(type.utf8)), cursor: try txn.cursor(db.types))
    }

    /// Positions of events that occurred on days `from...to` (days since 1970), grouped by day.
    public func positions(occurredFromDay from: Int, toDay to: Int) throws -> [UInt64] {
        let cursor = try txn.cursor(db.days)
        var out: [UInt64] = []
        // Every day's key prefix has the same length, so key order is day order.
        try cursor.forEach(from: PostingBlocks.prefix(Keys.dayKey(from))) { e in
            guard let term = PostingBlocks.term(ofKey: e.key), term.count == 4, Keys.dayNumber(term) <= to else { return false }
            PostingBlocks.append(e.value, to: &out)
            return true
        }
        return out
    }

    /// Every event type in the log with its count.
    public func typeCounts() throws -> [(type: String, count: Int)] {
        let cursor = try txn.cursor(db.types)
        var out: [(type: String, count: Int)] = []
        try cursor.forEach { e in
            if let term = PostingBlocks.term(ofKey: e.key) {
                let name = String(decoding: term, as: UTF8.self)
                if out.last?.type == name { out[out.count - 1].count += e.value.count / 8 } else { out.append((name, e.value.count / 8)) }
            }
            return true
        }
        return out.sorted { $0.type < $1.type }
    }

    public func streamCount() throws -> Int { try db.streams.count(txn) }

    /// The lifecycle states of a stream: (lifecycle, instance, state), by lifecycle and instance,
    /// all from the stream's head (an instance's fields shown joined by "/").
    public func lifecycleStates(_ stream: String) throws -> [(lifecycle: String, instance: String, state: String)] {
        guard let head = try db.streams.get(txn, Array(stream.utf8)) else { return [] }
        return head.states.map { name, state in
            let parts = name.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
            let instance = parts.count > 1 ? String(decoding: parts[1], as: UTF8.self).replacing("\u{1F}", with: "/") : ""
            return (String(decoding: parts[0], as: UTF8.self), instance, String(decoding: state, as: UTF8.self))
        }.sorted { ($0.lifecycle, $0.instance) < ($1.lifecycle, $1.instance) }
    }

    /// The streams (other than their own) whose events named the resident.
    public func residentStreams(_ resident: String) throws -> [String] {
        try Keys.residentStreams(resident, txn: txn, db: db.residentStreams).map { String(decoding: $0, as: UTF8.self) }
    }

    public func isErased(_ resident: String) throws -> Bool {
        try db.erased.get(txn, resident) != nil
    }

    /// The streams of corrections (`correction-P`, as `buurtboek correct` names them) whose
    /// target event is the resident's: in their own stream or one whose first event named
    /// them, or sealed under their key. A correction's personal fields (the amended values,
    /// the reason) are sealed under its own stream's key, which erasing the resident destroys.
    public func correctionStreams(ofResident resident: String) throws -> [String] {
        let own = Set([DataKeyId.residentStream(resident)] + (try residentStreams(resident)))
        var found: [String] = []
        for position in try positions(ofType: Correction.type) {
            guard let record = try record(at: position) else { continue }
            let stream = String(decoding: record.streamBytes, as: UTF8.self)
            guard let target = Correction.position(correctedBy: stream), target < position, let corrected = try self.record(at: target) else { continue }
            let keyId = corrected.isSealed ? (try? SealedSection(corrected.personal))?.keyId : nil
            if own.contains(String(decoding: corrected.streamBytes, as: UTF8.self)) || keyId == "resident:" + resident {
                found.append(stream)
            }
        }
        return found
    }

    /// Whether an erasure the log holds destroyed the data key `keyId`: the key of an erased
    /// resident, of a stream that belonged to one, or of a correction of an event sealed under
    /// such a key (its stream `correction-P` names the position it corrects). A missing key
    /// that no erasure accounts for was never in this key store.
    public func erasureDestroyed(keyId: String) throws -> Bool {
        if keyId.hasPrefix("resident:") { return try isErased(String(keyId.dropFirst("resident:".count))) }
        guard keyId.hasPrefix("stream:") else { return false }
        let stream = String(keyId.dropFirst("stream:".count))
        if try txn.get(db.erasedStreams, Array(stream.utf8)) != nil { return true }
        guard let target = Correction.position(correctedBy: stream), target > 0, target <= (try size()), let record = try record(at: target) else { return false }
        if record.isSealed, let section = try? SealedSection(record.personal) { return try erasureDestroyed(keyId: section.keyId) }
        return try txn.get(db.erasedStreams, Array(record.streamBytes)) != nil
    }

    /// The verifier key of the latest checkpoint's signer.
    public func checkpointVerifierKey() throws -> String? {
        try txn.get(db.meta, MetaKey.checkpointVerifier).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The signed checkpoints, oldest first.
    public func checkpoints() throws -> [(size: UInt64, note: String)] {
        var out: [(UInt64, String)] = []
        try db.checkpoints.forEach(txn) { size, note in
            out.append((size, note))
            return true
        }
        return out
    }

    public var hashReader: some HashReader { TransactionHashReader(txn: txn, tree: db.tree) }

    /// The tree root over the first `size` events, in O(log size) reads.
    public func root(size: UInt64) throws -> Hash { try Merkle.root(size: Int64(size), reader: hashReader) }

    /// The stored leaf hash of a position.
    public func leafHash(at position: UInt64) throws -> Hash {
        try hashReader.hashes(at: [Merkle.storageIndex(level: 0, index: Int64(position) - 1)])[0]
    }

    /// The catalogue number in force for each range of positions: (first position, number).
    public func catalogueHistory() throws -> [(from: UInt64, number: UInt32)] {
        var out: [(UInt64, UInt32)] = []
        try db.catalogueHistory.forEach(txn) { from, number in
            out.append((from, number))
            return true
        }
        return out
    }
}

extension Ledger {
    /// Runs `body` on a snapshot of the ledger.
    public func read<R>(_ body: (LedgerSnapshot) throws -> R) throws -> R {
        try Ledger.wrap { try env.read { try body(LedgerSnapshot(txn: $0, db: db, catalogue: catalogue)) } }
    }
}

