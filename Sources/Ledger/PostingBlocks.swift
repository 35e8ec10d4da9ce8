import LMDB

/// An inverted index stored as blocks of positions (the type and day indexes): the key is a
/// term's prefix followed by the block's first position (u64, big-endian), the value the
/// block's positions, ascending, 8 bytes each, big-endian. A term's blocks follow each other in
/// key order, so reading a term is one seek and a walk.
///
/// Why blocks and not one entry per event: an event adds its position to a term that thousands
/// of others share. As duplicates of one key, each position was its own B-tree insert; as a
/// block, a batch writes one value per term. Small blocks (single appends from the command
/// line) are merged into on the next write, so the index does not fill with one-entry blocks.
enum PostingBlocks {
    /// A block is rewritten to take new positions while it holds fewer than this many.
    static let mergeBelow = 512
    /// The most positions one block holds (32 KiB).
    static let maxPerBlock = 4096

    /// The key prefix of a term: a length byte, so that no term is a prefix of another.
    static func prefix(_ term: UnsafeRawBufferPointer) -> [UInt8] {
        precondition(term.count <= 255, "index terms are at most 255 bytes (the catalogue refuses longer type names)")
        var out: [UInt8] = [UInt8(term.count)]
        out.append(contentsOf: term)
        return out
    }

    static func prefix(_ term: [UInt8]) -> [UInt8] { term.withUnsafeBytes { prefix($0) } }

    /// Adds `positions` (packed as above, ascending, all after any the term holds) to a term.
    static func add(_ positions: [UInt8], toTermWithPrefix prefix: [UInt8], db: Database, txn: WriteTransaction) throws {
        guard !positions.isEmpty else { return }
        var pending = positions[...]
        // Merge into the term's last block while it is small.
        let cursor = try txn.cursor(db)
        if let last = try lastBlock(prefix, cursor), last.value.count / 8 < mergeBelow {
            let room = maxPerBlock * 8 - last.value.count
            let taken = pending.prefix(room)
            var merged = Array(last.value)
            merged.append(contentsOf: taken)
            try txn.put(db, Array(last.key), merged)
            pending = pending.dropFirst(taken.count)
        }
        while !pending.isEmpty {
            let block = pending.prefix(maxPerBlock * 8)
            var key = prefix
            key.append(contentsOf: block.prefix(8))
            try txn.put(db, key, Array(block))
            pending = pending.dropFirst(block.count)
        }
    }

    /// Two packed, ascending lists of positions as one.
    static func merge(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(a.count + b.count)
        a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in
                var i = 0, j = 0
                while i < x.count || j < y.count {
                    let takeX = j >= y.count || (i < x.count && Keys.readU64(x, at: i) < Keys.readU64(y, at: j))
                    out.append(contentsOf: takeX ? x[i..<i + 8] : y[j..<j + 8])
                    if takeX { i += 8 } else { j += 8 }
                }
            }
        }
        return out
    }

    /// Whether `key` is a block of the term with `prefix`.
    static func isBlock(_ key: UnsafeRawBufferPointer, of prefix: [UInt8]) -> Bool {
        key.count == prefix.count + 8 && key.starts(with: prefix)
    }

    /// The term's block with the greatest first position.
    private static func lastBlock(_ prefix: [UInt8], _ cursor: ReadCursor) throws -> Cursor.Entry? {
        var after = prefix
        after.append(contentsOf: [UInt8](repeating: 0xFF, count: 8))
        let entry = try cursor.seek(after) != nil ? try cursor.previous() : try cursor.last()
        guard let entry, isBlock(entry.key, of: prefix) else { return nil }
        return entry
    }

    /// Visits a term's blocks in order until `body` returns false.
    static func blocks(withPrefix prefix: [UInt8], cursor: ReadCursor,
                       _ body: (UnsafeRawBufferPointer) throws -> Bool) throws {
        try cursor.forEach(from: prefix) { e in isBlock(e.key, of: prefix) ? try body(e.value) : false }
    }

    /// A term's positions, ascending.
    static func positions(withPrefix prefix: [UInt8], cursor: ReadCursor) throws -> [UInt64] {
        var out: [UInt64] = []
        try blocks(withPrefix: prefix, cursor: cursor) { block in
            append(block, to: &out)
            return true
        }
        return out
    }

    /// Appends a block's positions to `out`.
    static func append(_ block: UnsafeRawBufferPointer, to out: inout [UInt64]) {
        for offset in stride(from: 0, to: block.count, by: 8) { out.append(Keys.readU64(block, at: offset)) }
    }

    /// How many positions a term holds.
    static func count(withPrefix prefix: [UInt8], cursor: ReadCursor) throws -> Int {
        var n = 0
        try blocks(withPrefix: prefix, cursor: cursor) { n += $0.count / 8; return true }
        return n
    }

    /// The term of a stored key (without its length byte and first position).
    static func term(ofKey key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard key.count >= 9, Int(key[0]) == key.count - 9 else { return nil }
        return UnsafeRawBufferPointer(rebasing: key[1..<key.count - 8])
    }
}
