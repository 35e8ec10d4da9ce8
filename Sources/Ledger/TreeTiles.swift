import LMDB
import Merkle

/// The stored tree hashes, in tiles: hash number i (its storage index, see
/// `Merkle.storageIndex`) is bytes 32·(i mod 32) ..< 32·(i mod 32 + 1) of the value under key
/// ⌊i / 32⌋ (u64, big-endian). A tile holds 32 hashes (1 KiB) once complete; only the last one
/// may be shorter.
///
/// Why tiles: an append stores about two hashes per event, always after all earlier ones. One
/// entry per hash was two B-tree inserts per event; a tile is one per 32 hashes, and a batch
/// rewrites only its first tile, the one the previous batch left partial.
enum TreeTiles {
    static let hashesPerTile: Int64 = 32

    static func key(_ tile: Int64) -> [UInt8] { Keys.u64(tile) }

    /// Stores `hashes`, which continue the stored ones without a gap (`hashes[0]` has storage
    /// index `first`).
    static func append(_ hashes: [(index: Int64, hash: Hash)], txn: WriteTransaction, db: Database) throws {
        guard let first = hashes.first?.index else { return }
        var tile = first / hashesPerTile
        var value: [UInt8] = []
        value.reserveCapacity(Int(hashesPerTile) * Hash.size)
        // The previous batch's last tile, when partial, is extended.
        let offset = Int(first % hashesPerTile)
        if offset > 0 {
            guard let stored = try txn.get(db, key(tile)), stored.count == offset * Hash.size else {
                throw LedgerError(.integrity, "tree tile \(tile) does not end at hash \(first) (run `buurtboek verify`)")
            }
            value.append(contentsOf: stored)
        }
        var rewritingFirst = offset > 0
        func store() throws {
            try key(tile).withUnsafeBytes { k in
                try value.withUnsafeBytes { try txn.put(db, k, $0, options: rewritingFirst ? [] : .append) }
            }
            rewritingFirst = false
        }
        for (index, hash) in hashes {
            precondition(index / hashesPerTile == tile || index / hashesPerTile == tile + 1, "tree hashes are stored in order, without a gap")
            if index / hashesPerTile != tile {
                try store()
                tile += 1
                value.removeAll(keepingCapacity: true)
            }
            hash.withUnsafeBytes { value.append(contentsOf: $0) }
        }
        try store()
    }

    /// The stored hashes at `indexes`.
    static func hashes(at indexes: [Int64], txn: Transaction, db: Database) throws -> [Hash] {
        try indexes.map { index in
            let offset = Int(index % hashesPerTile) * Hash.size
            guard index >= 0, let tile = try txn.get(db, key(index / hashesPerTile)), tile.count >= offset + Hash.size else {
                throw LedgerError(.integrity, "tree hash \(index) is missing or malformed")
            }
            return Hash(UnsafeRawBufferPointer(rebasing: tile[offset..<offset + Hash.size]))
        }
    }

    /// Reads the stored hashes in order, one at a time: verify's walk.
    struct Walker {
        let cursor: ReadCursor
        private var tile: UnsafeRawBufferPointer?
        private var tileNumber: Int64 = -1
        private var offset = 0
        /// The storage index of the hash `next` returns.
        private(set) var index: Int64 = 0

        init(_ cursor: ReadCursor) throws {
            self.cursor = cursor
            try load(try cursor.first())
        }

        private mutating func load(_ entry: Cursor.Entry?) throws {
            guard let entry else { tile = nil; return }
            tileNumber += 1
            guard entry.key.count == 8, Int64(bitPattern: Keys.readU64(entry.key)) == tileNumber,
                  entry.value.count % Hash.size == 0, !entry.value.isEmpty else {
                throw LedgerError(.integrity, "tree tile \(tileNumber) is missing or malformed (the tree stores hashes \(tileNumber * TreeTiles.hashesPerTile) onward wrongly)")
            }
            tile = entry.value
            offset = 0
        }

        /// Adds the leaf of the record at `position` to `frontier` and checks each hash it
        /// completes (the leaf first) against the next stored one: verify's step per record.
        mutating func check(leaf: Hash, position: UInt64, frontier: inout TreeFrontier) throws {
            var level = 0
            try frontier.append(leaf: leaf) { index, hash in
                defer { level += 1 }
                guard self.index == index, let stored = try next() else {
                    throw LedgerError(.integrity, "position \(position): tree hash \(index) is missing")
                }
                guard stored == hash else {
                    if level == 0 {
                        throw LedgerError(.integrity, "position \(position): the record's leaf hash \(hash.hex) does not match the stored \(stored.hex): the record was altered, or the log reordered")
                    }
                    throw LedgerError(.integrity, "position \(position): stored tree hash \(index) (level \(level)) does not match the one recomputed from the leaves")
                }
            }
        }

        /// The next stored hash, or nil after the last.
        mutating func next() throws -> Hash? {
            guard let t = tile else { return nil }
            if offset == t.count {
                let following = try cursor.next()
                // Only the last tile may be partial.
                guard t.count == Int(TreeTiles.hashesPerTile) * Hash.size else {
                    if following != nil {
                        throw LedgerError(.integrity, "tree tile \(tileNumber) is partial but not the last")
                    }
                    tile = nil
                    return nil
                }
                try load(following)
                return try next()
            }
            defer { offset += Hash.size; index += 1 }
            return Hash(UnsafeRawBufferPointer(rebasing: t[offset..<offset + Hash.size]))
        }
    }
}

/// Reads stored tree hashes inside a transaction.
struct TransactionHashReader: HashReader {
    let txn: Transaction
    let tree: Database

    func hashes(at indexes: [Int64]) throws -> [Hash] {
        try TreeTiles.hashes(at: indexes, txn: txn, db: tree)
    }
}
