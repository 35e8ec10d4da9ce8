import Catalogue
import LMDB
import Merkle

// How a ledger of format 1 is brought to format 4 in place, in one write transaction (see
// RECORD-FORMAT.md, "From format 1"). The log, its records, the ids, the catalogues and the
// erasure and checkpoint databases are the same in both formats; the rest is rebuilt from what
// format 1 stored:
//
//   streams (one duplicate per event: stream -> version ‖ position)  -> heads and links
//   states (stream ‖ 0 ‖ lifecycle ‖ 0 ‖ instance -> state)           -> into the heads
//   types, days (one duplicate per event: term -> position)            -> blocks of positions
//   resident_streams (resident -> stream, duplicates)                  -> in the order streams start
//   tree (one entry per hash)                                          -> tiles of 32 hashes
//
// Four of those databases change their flags (duplicates or not), which LMDB fixes when a
// database is made: each is read, deleted and made anew, all in the one transaction, so another
// process sees format 1 or format 4, never a mix. The tree's rewrite also serves the format-2
// ledgers written before the tree was stored in tiles (format 2 did not mark that change).

extension Ledger {
    static func upgradeFromFormatOne(env: Environment) throws {
        try env.write { txn in
            let meta = try txn.openDatabase("meta")
            // Another process may have upgraded it since the format was read.
            guard let format = try txn.get(meta, MetaKey.format), format.elementsEqual("1".utf8) else { return }
            let catalogue = try FormatOne.catalogueInForce(txn, meta: meta)
            let log = try txn.openDatabase("log")
            let size = try txn.cursor(log).last().map { Keys.readU64($0.key) } ?? 0

            let streams = try FormatOne.streams(txn, size: size)
            try FormatOne.writeHeads(txn, streams: streams, catalogue: catalogue)
            let links = try txn.openDatabase("stream_links")
            if size > 0 {
                for position in 1...size {
                    try txn.put(links, Keys.u64(position), Keys.u64(streams.previous[Int(position)]), options: .append)
                }
            }
            try FormatOne.postingBlocks(txn, name: "types") { term in PostingBlocks.prefix(term) }
            try FormatOne.postingBlocks(txn, name: "days") { term in PostingBlocks.prefix(term) }
            try FormatOne.residentStreamsInStartOrder(txn, firstPositions: streams.first)
            try FormatOne.treeInTiles(txn)
            try txn.put(meta, MetaKey.format, Array(String(formatVersion).utf8))
        }
    }
}

/// The steps of the format-1 upgrade, each on one transaction.
enum FormatOne {
    /// What format 1's one-duplicate-per-event stream index says: each stream's version and
    /// last position, the position before each event in its stream (0 for a first event),
    /// and the position each stream started at.
    struct Streams {
        var heads: [(stream: [UInt8], version: UInt64, last: UInt64)] = []
        var previous: [UInt64]
        var first: [[UInt8]: UInt64] = [:]
    }

    static func catalogueInForce(_ txn: WriteTransaction, meta: Database) throws -> Catalogue {
        let catalogues = try txn.openDatabase("catalogues")
        guard let number = try txn.get(meta, MetaKey.catalogue), let bundle = try txn.get(catalogues, Array(number)) else {
            throw LedgerError(.integrity, "no catalogue in force is stored")
        }
        return try Catalogue(bundle: Array(bundle))
    }

    static func streams(_ txn: WriteTransaction, size: UInt64) throws -> Streams {
        let db = try txn.openDatabase("streams", options: [.duplicateSort, .duplicateFixed])
        var out = Streams(previous: Array(repeating: 0, count: Int(size) + 1))
        // The cursor lives in this scope only: a database's cursors must be closed before it
        // is deleted.
        func read() throws {
            let cursor = try txn.cursor(db)
            var entry = try cursor.first()
            var stream: [UInt8] = [], version: UInt64 = 0, last: UInt64 = 0
            func close() { if !stream.isEmpty { out.heads.append((stream, version, last)) } }
            while let e = entry {
                guard e.value.count == 16 else { throw LedgerError(.integrity, "format 1's stream index holds a malformed entry") }
                let v = Keys.readU64(e.value), position = Keys.readU64(e.value, at: 8)
                guard position >= 1 && position <= size else {
                    throw LedgerError(.integrity, "format 1's stream index names position \(position), beyond the log's \(size)")
                }
                if !stream.elementsEqual(e.key) {
                    close()
                    stream = Array(e.key)
                    out.first[stream] = position
                    (version, last) = (0, 0)
                }
                guard v == version + 1 else {
                    throw LedgerError(.integrity, "format 1's stream index skips from version \(version) to \(v) in \(String(decoding: stream, as: UTF8.self))")
                }
                out.previous[Int(position)] = last
                (version, last) = (v, position)
                entry = try cursor.next()
            }
            close()
        }
        try read()
        try txn.deleteDatabase(db)
        return out
    }

    /// Writes each stream's head, with the lifecycle states format 1 kept apart, and deletes
    /// `states`. Both come in stream order, so they are merged in one pass.
    static func writeHeads(_ txn: WriteTransaction, streams: Streams, catalogue: Catalogue) throws {
        let states = try txn.openDatabase("states")
        let heads = try txn.openDatabase("streams")
        func write() throws {
            let cursor = try txn.cursor(states)
            var entry = try cursor.first()
            var head: [UInt8] = []
            for (stream, version, last) in streams.heads {
                var changes: [(lifecycle: [UInt8], state: [UInt8])] = []
                while let e = entry, let split = e.key.firstIndex(of: 0), Keys.compare(stream, UnsafeRawBufferPointer(rebasing: e.key[..<split])) >= 0 {
                    if stream.elementsEqual(e.key[..<split]) {
                        changes.append((try entryName(Array(e.key[(split + 1)...]), catalogue: catalogue), Array(e.value)))
                    }
                    entry = try cursor.next()
                }
                changes.sort { $0.lifecycle.lexicographicallyPrecedes($1.lifecycle) }
                StreamIndex.Head.encode(version: version, last: last, previous: UnsafeRawBufferPointer(start: nil, count: 0), changes: changes, into: &head)
                try txn.put(heads, stream, head, options: .append)
            }
        }
        try write()
        try txn.deleteDatabase(states)
    }

    /// A state's entry name in a head, from format 1's lifecycle ‖ 0 ‖ instance: the lifecycle's
    /// name alone for a machine without instances (format 1 stored an empty instance).
    static func entryName(_ lifecycleAndInstance: [UInt8], catalogue: Catalogue) throws -> [UInt8] {
        guard let zero = lifecycleAndInstance.firstIndex(of: 0) else {
            throw LedgerError(.integrity, "format 1's states hold a malformed key")
        }
        let name = String(decoding: lifecycleAndInstance[..<zero], as: UTF8.self)
        let instanced = catalogue.lifecycles[name].map { !$0.instanceBy.isEmpty } ?? (zero + 1 < lifecycleAndInstance.count)
        let entry = instanced ? lifecycleAndInstance : Array(lifecycleAndInstance[..<zero])
        guard entry.count <= Keys.maxHeadEntryName else {
            throw LedgerError(.integrity, "a lifecycle state entry longer than a stream's head can hold: \(name)")
        }
        return entry
    }

    /// A term -> position index with one duplicate per event, rewritten as blocks of positions.
    static func postingBlocks(_ txn: WriteTransaction, name: String, prefix: ([UInt8]) -> [UInt8]) throws {
        let old = try txn.openDatabase(name, options: [.duplicateSort, .duplicateFixed])
        var terms: [(term: [UInt8], positions: [UInt8])] = []
        func read() throws {
            let cursor = try txn.cursor(old)
            try cursor.forEach { e in
                if terms.last?.term.elementsEqual(e.key) != true { terms.append((Array(e.key), [])) }
                terms[terms.count - 1].positions.append(contentsOf: e.value)
                return true
            }
        }
        try read()
        try txn.deleteDatabase(old)
        let blocks = try txn.openDatabase(name)
        for (term, positions) in terms {
            try PostingBlocks.add(positions, toTermWithPrefix: prefix(term), db: blocks, txn: txn)
        }
    }

    /// resident -> stream duplicates, rewritten as format 3 keeps them: numbered in the order the
    /// streams started.
    static func residentStreamsInStartOrder(_ txn: WriteTransaction, firstPositions: [[UInt8]: UInt64]) throws {
        let old = try txn.openDatabase("resident_streams", options: [.duplicateSort])
        var entries: [(start: UInt64, value: [UInt8])] = []
        func read() throws {
            let cursor = try txn.cursor(old)
            try cursor.forEach { e in
                var value: [UInt8] = []
                Keys.appendResidentStream(resident: e.key, stream: e.value, to: &value)
                entries.append((firstPositions[Array(e.value)] ?? .max, value))
                return true
            }
        }
        try read()
        try txn.deleteDatabase(old)
        let index = try txn.openDatabase("resident_streams")
        for (i, entry) in entries.sorted(by: { $0.start < $1.start }).enumerated() {
            try txn.put(index, Keys.u64(UInt64(i + 1)), entry.value, options: .append)
        }
    }

    /// Whether the tree holds one entry per hash, as format 1 and the first format-2 builds
    /// stored it (before tiles): then hash 1 has an entry of its own, while in tiles hash 0's
    /// entry holds hash 1 too. (With a single hash the two layouts are the same bytes.)
    static func treeIsPerHash(_ txn: WriteTransaction) throws -> Bool {
        let tree = try txn.openDatabase("tree")
        guard let first = try txn.get(tree, Keys.u64(UInt64(0))), first.count == Hash.size else { return false }
        return try txn.get(tree, Keys.u64(UInt64(1))) != nil
    }

    /// One entry per hash (u64 storage index -> 32 bytes), rewritten as tiles of 32. The tiles
    /// are gathered in a scratch database first: tile keys are small storage indexes too.
    static func treeInTiles(_ txn: WriteTransaction) throws {
        let tree = try txn.openDatabase("tree")
        let scratch = try txn.openDatabase("tree_upgrade")
        func gather() throws {
            let cursor = try txn.cursor(tree)
            var entry = try cursor.first()
            var next: Int64 = 0
            var hashes: [(index: Int64, hash: Hash)] = []
            while let e = entry {
                guard Keys.readU64(e.key) == UInt64(next), e.value.count == Hash.size else {
                    throw LedgerError(.integrity, "format 1's tree holds no 32-byte hash \(next) where the next is expected")
                }
                hashes.append((next, Hash(e.value)))
                next += 1
                if hashes.count == 4096 {
                    try TreeTiles.append(hashes, txn: txn, db: scratch)
                    hashes.removeAll(keepingCapacity: true)
                }
                entry = try cursor.next()
            }
            try TreeTiles.append(hashes, txn: txn, db: scratch)
        }
        try gather()
        try txn.empty(tree)
        func copy() throws {
            let cursor = try txn.cursor(scratch)
            try cursor.forEach { e in
                try txn.put(tree, e.key, e.value, options: .append)
                return true
            }
        }
        try copy()
        try txn.deleteDatabase(scratch)
    }
}
