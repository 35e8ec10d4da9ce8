import LMDB

/// The result of a full verification.
public struct VerifyReport: Sendable {
    public let size: UInt64
    public let root: Hash
}

extension Ledger {
    /// Recomputes every leaf hash from the stored record bytes and every stored tree hash from
    /// the leaves, and checks the four indexes against the log. Throws an integrity error naming
    /// the first position that does not match.
    ///
    /// The index check compares multiset digests (an order-independent sum of entry hashes)
    /// computed once from the log and once by scanning each index, so both sides are sequential
    /// reads; only on a mismatch does a second pass look entries up one by one to name the place.
    public func verify(progress: ((UInt64) -> Void)? = nil) throws -> VerifyReport {
        try read { snapshot in
            let txn = snapshot.txn
            let log = try txn.cursor(db.log)
            let tree = try txn.cursor(db.tree)
            var frontier = TreeFrontier.empty
            var expected = IndexDigests()
            var position: UInt64 = 0
            var treeEntry = try tree.first()
            var entry = try log.first()
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
                let leaf = Merkle.leafHash(e.value)
                var level = 0
                try frontier.append(leaf: leaf) { index, hash in
                    defer { level += 1 }
                    guard let stored = treeEntry, Keys.readU64(stored.key) == UInt64(index), stored.value.count == Hash.size else {
                        throw LedgerError(.integrity, "position \(position): tree hash \(index) is missing")
                    }
                    guard Hash(stored.value) == hash else {
                        if level == 0 {
                            throw LedgerError(.integrity, "position \(position): the record's leaf hash \(hash.hex) does not match the stored \(Hash(stored.value).hex): the record was altered, or the log reordered")
                        }
                        throw LedgerError(.integrity, "position \(position): stored tree hash \(index) (level \(level)) does not match the one recomputed from the leaves")
                    }
                    treeEntry = try tree.next()
                }
                expected.add(record: record, position: position)
                if position & 0xFFFF == 0 { progress?(position) }
                entry = try log.next()
            }
            if let extra = treeEntry {
                throw LedgerError(.integrity, "the tree stores hash \(Keys.readU64(extra.key)) beyond the \(position) events in the log")
            }
            try checkIndexes(snapshot, expected: expected, size: position)
            return VerifyReport(size: position, root: frontier.root)
        }
    }

    private func checkIndexes(_ snapshot: LedgerSnapshot, expected: IndexDigests, size: UInt64) throws {
        let txn = snapshot.txn
        for (index, database) in [db.ids, db.streams, db.types, db.days].enumerated() {
            var found = IndexDigests.Digest()
            let cursor = try txn.cursor(database)
            var entry = try cursor.first()
            while let e = entry {
                found.add(e.key, e.value)
                entry = try cursor.next()
            }
            if found != expected.digests[index] {
                try locateIndexFault(snapshot, database: database, size: size)
                throw LedgerError(.integrity, "the \(database.name) index holds entries that no event in the log accounts for")
            }
        }
    }

    /// Finds the first position whose index entry is missing or wrong, or the first entry that
    /// points at no matching event.
    private func locateIndexFault(_ snapshot: LedgerSnapshot, database: Database, size: UInt64) throws {
        let txn = snapshot.txn
        let cursor = try txn.cursor(database)
        try snapshot.scan { position, record in
            let positionKey = Keys.u64(position)
            let (key, value) = IndexDigests.entry(database: database.name, record: record, position: position)
            var present = false
            if database.name == "ids" {
                present = try txn.get(database, key).map { $0.elementsEqual(positionKey) } ?? false
            } else {
                var e = try cursor.find(key)
                while let found = e, !present {
                    present = found.value.elementsEqual(value)
                    e = try cursor.nextDuplicate()
                }
            }
            if !present {
                throw LedgerError(.integrity, "position \(position): its entry in the \(database.name) index is missing or wrong")
            }
            return true
        }
        var entry = try cursor.first()
        while let e = entry {
            let position = Keys.readU64(e.value, at: database.name == "streams" ? 8 : 0)
            let record = position >= 1 && position <= size ? try snapshot.record(at: position) : nil
            let matches = record.map { IndexDigests.entry(database: database.name, record: $0, position: position) }
            if matches.map({ e.key.elementsEqual($0.key) && e.value.elementsEqual($0.value) }) != true {
                throw LedgerError(.integrity, "position \(position): the \(database.name) index has an entry for it that the event does not match")
            }
            entry = try cursor.next()
        }
    }
}

/// Order-independent digests of the entries the indexes should hold.
struct IndexDigests {
    struct Digest: Equatable {
        var sum: UInt64 = 0
        var count = 0
        mutating func add(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
            var hasher = Hasher()
            hasher.combine(bytes: key)
            hasher.combine(0xFF as UInt8)
            hasher.combine(bytes: value)
            sum &+= UInt64(bitPattern: Int64(hasher.finalize()))
            count += 1
        }
        mutating func add(_ key: [UInt8], _ value: [UInt8]) {
            key.withUnsafeBytes { k in value.withUnsafeBytes { v in add(k, v) } }
        }
    }

    /// ids, streams, types, days.
    var digests = [Digest](repeating: Digest(), count: 4)

    /// Adds the four entries the record should have, without allocating: the hot loop of verify.
    mutating func add(record: RecordView, position: UInt64) {
        withUnsafeBytes(of: position.bigEndian) { positionKey in
            digests[0].add(record.id, positionKey)
            withUnsafeBytes(of: (record.streamVersion.bigEndian, position.bigEndian)) { digests[1].add(record.streamBytes, $0) }
            digests[2].add(record.typeBytes, positionKey)
            withUnsafeBytes(of: Keys.dayBits(record.occurredAt).bigEndian) { digests[3].add($0, positionKey) }
        }
    }

    static func entry(database: String, record: RecordView, position: UInt64) -> (key: [UInt8], value: [UInt8]) {
        let positionKey = Keys.u64(position)
        switch database {
        case "ids": return (Array(record.id), positionKey)
        case "streams": return (Array(record.streamBytes), Keys.u64(record.streamVersion) + positionKey)
        case "types": return (Array(record.typeBytes), positionKey)
        default: return (Keys.day(record.occurredAt), positionKey)
        }
    }
}
