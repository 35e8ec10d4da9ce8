import CLMDB

/// A position in a database, for reading: a read transaction's cursors offer no put. Entries it
/// returns are views valid while its transaction is open.
public class ReadCursor {
    let cursor: OpaquePointer
    let db: Database

    init(cursor: OpaquePointer, db: Database) {
        self.cursor = cursor
        self.db = db
    }

    deinit { mdb_cursor_close(cursor) }

    public typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    private final func get(_ op: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws -> Entry? {
        var k = MDB_val(mv_size: key?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: key?.baseAddress))
        var v = MDB_val()
        let rc = mdb_cursor_get(cursor, &k, &v, op)
        if rc == MDB_NOTFOUND { return nil }
        try LMDBError.check(rc, "cursor_get \(db.name)")
        return (UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    public final func first() throws -> Entry? { try get(MDB_FIRST) }
    public final func last() throws -> Entry? { try get(MDB_LAST) }
    public final func next() throws -> Entry? { try get(MDB_NEXT) }
    public final func previous() throws -> Entry? { try get(MDB_PREV) }
    /// Next key, skipping the remaining duplicates of this one.
    public final func nextKey() throws -> Entry? { try get(MDB_NEXT_NODUP) }
    public final func nextDuplicate() throws -> Entry? { try get(MDB_NEXT_DUP) }
    public final func lastDuplicate() throws -> Entry? { try get(MDB_LAST_DUP) }

    /// Moves to exactly `key`.
    public final func find(_ key: [UInt8]) throws -> Entry? {
        try key.withUnsafeBytes { try find($0) }
    }

    public final func find(_ key: UnsafeRawBufferPointer) throws -> Entry? {
        try get(MDB_SET_KEY, key: key)
    }

    /// Moves to the first key at or after `key`.
    public final func seek(_ key: [UInt8]) throws -> Entry? {
        try key.withUnsafeBytes { try get(MDB_SET_RANGE, key: $0) }
    }

    /// Visits the entries in key order, from the first key at or after `start` (from the first
    /// entry without one), while `body` returns true. A closure rather than a `Sequence`: every
    /// step of an LMDB cursor can fail, and an iterator's `next()` cannot throw.
    public final func forEach(from start: [UInt8]? = nil, _ body: (Entry) throws -> Bool) throws {
        var entry = try start.map { try seek($0) } ?? first()
        while let e = entry, try body(e) { entry = try next() }
    }

    /// As `forEach(from:_:)`, over the entries whose keys start with `prefix`.
    public final func forEach(withPrefix prefix: [UInt8], _ body: (Entry) throws -> Bool) throws {
        try forEach(from: prefix) { entry in entry.key.starts(with: prefix) ? try body(entry) : false }
    }

    /// Number of duplicates of the current key.
    public final func duplicateCount() throws -> Int {
        var n = 0
        try LMDBError.check(mdb_cursor_count(cursor, &n), "cursor_count \(db.name)")
        return n
    }
}

/// A write transaction's cursor: reads as `ReadCursor` does, and writes where it stands.
public final class Cursor: ReadCursor {
    /// Writes `value` under `key` through this cursor (mdb_cursor_put; write transactions only).
    /// LMDB starts from the cursor's page: a key on the page the cursor points at (the one just
    /// found, or the neighbour of the one just written) is written without a descent from the root.
    public func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, options: PutOptions = []) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try LMDBError.check(mdb_cursor_put(cursor, &k, &v, options.rawValue), "cursor_put \(db.name)")
    }

    /// As `WriteTransaction.put(_:_:reserving:options:fill:)`, through this cursor: with
    /// `.append`, a cursor left at the end by the last append writes the next without a descent.
    public func put<R>(_ key: UnsafeRawBufferPointer, reserving count: Int, options: PutOptions = [],
                       fill: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: count, mv_data: nil)
        try LMDBError.check(mdb_cursor_put(cursor, &k, &v, options.rawValue | UInt32(MDB_RESERVE)), "cursor_put \(db.name)")
        return try fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: count))
    }

    /// As `WriteTransaction.insertIfAbsent`, through this cursor.
    public func insertIfAbsent(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let rc = mdb_cursor_put(cursor, &k, &v, UInt32(MDB_NOOVERWRITE))
        if rc == MDB_KEYEXIST { return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size) }
        try LMDBError.check(rc, "cursor_put \(db.name)")
        return nil
    }
}
