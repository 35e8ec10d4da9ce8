import CLMDB

/// A read view. Every buffer it returns points into the memory map and is valid only while
/// the transaction is open (zero-copy).
public class Transaction {
    let txn: OpaquePointer

    init(txn: OpaquePointer) { self.txn = txn }

    /// The value stored under `key`, or nil.
    public func get(_ db: Database, _ key: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(txn, db.dbi, &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        try LMDBError.check(rc, "get \(db.name)")
        return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
    }

    public func get(_ db: Database, _ key: [UInt8]) throws -> UnsafeRawBufferPointer? {
        try key.withUnsafeBytes { try get(db, $0) }
    }

    public func cursor(_ db: Database) throws -> ReadCursor {
        ReadCursor(cursor: try openCursor(db), db: db)
    }

    func openCursor(_ db: Database) throws -> OpaquePointer {
        var cursor: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(txn, db.dbi, &cursor), "cursor_open \(db.name)")
        return cursor!
    }

    /// Number of keys (and duplicates) in `db`.
    public func count(_ db: Database) throws -> Int {
        var stat = MDB_stat()
        try LMDBError.check(mdb_stat(txn, db.dbi, &stat), "stat \(db.name)")
        return stat.ms_entries
    }
}

/// Options for a put; see mdb_put.
public struct PutOptions: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// The key sorts after every key present: LMDB appends without searching.
    public static let append = PutOptions(rawValue: UInt32(MDB_APPEND))
    /// Replace the value of the entry the cursor stands on (cursor puts only). A value of the
    /// same size is overwritten in place, with no search.
    public static let current = PutOptions(rawValue: UInt32(MDB_CURRENT))
    /// Fail with MDB_KEYEXIST instead of overwriting.
    public static let noOverwrite = PutOptions(rawValue: UInt32(MDB_NOOVERWRITE))
}

public final class WriteTransaction: Transaction {
    /// A cursor that can also write.
    public override func cursor(_ db: Database) throws -> Cursor {
        Cursor(cursor: try openCursor(db), db: db)
    }

    public func put(_ db: Database, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer,
                    options: PutOptions = []) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try LMDBError.check(mdb_put(txn, db.dbi, &k, &v, options.rawValue), "put \(db.name)")
    }

    /// Reserves `count` bytes for `key`'s value (MDB_RESERVE) and lets `fill` write them in place,
    /// in the page itself: a large value is written once, with no buffer in between. The bytes
    /// are valid only inside `fill`. Not for duplicate-sorted databases.
    public func put<R>(_ db: Database, _ key: UnsafeRawBufferPointer, reserving count: Int, options: PutOptions = [],
                       fill: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: count, mv_data: nil)
        try LMDBError.check(mdb_put(txn, db.dbi, &k, &v, options.rawValue | UInt32(MDB_RESERVE)), "put \(db.name)")
        return try fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: count))
    }

    public func put(_ db: Database, _ key: [UInt8], _ value: [UInt8], options: PutOptions = []) throws {
        try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try put(db, k, v, options: options) } }
    }

    /// Inserts `key` unless present; returns the value already stored when it is (one B-tree
    /// descent for both the check and the insert).
    public func insertIfAbsent(_ db: Database, _ key: [UInt8], _ value: [UInt8]) throws -> UnsafeRawBufferPointer? {
        let cursor = try self.cursor(db)
        return try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try cursor.insertIfAbsent(k, v) } }
    }

    /// Removes every entry of `db`, keeping the database itself (mdb_drop without delete).
    public func empty(_ db: Database) throws {
        try LMDBError.check(mdb_drop(txn, db.dbi, 0), "drop \(db.name)")
    }

    /// Opens the database `name` in this transaction, making it when missing (mdb_dbi_open with
    /// MDB_CREATE): a change of format can delete a database and make it anew with other
    /// options, atomically. The handle outlives the transaction only if it commits.
    public func openDatabase(_ name: String, options: DatabaseOptions = []) throws -> Database {
        var dbi: MDB_dbi = 0
        try LMDBError.check(mdb_dbi_open(txn, name, options.rawValue | UInt32(MDB_CREATE), &dbi), "dbi_open \(name)")
        return Database(dbi: dbi, name: name)
    }

    /// Deletes `db` itself, its entries and its name (mdb_drop with delete); its handle is
    /// closed when the transaction ends.
    public func deleteDatabase(_ db: Database) throws {
        try LMDBError.check(mdb_drop(txn, db.dbi, 1), "drop \(db.name)")
    }

    /// Deletes `key` (every duplicate, when `value` is nil). Returns false when absent.
    @discardableResult
    public func delete(_ db: Database, _ key: [UInt8], value: [UInt8]? = nil) throws -> Bool {
        try key.withUnsafeBytes { kb in
            var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
            let rc: Int32
            if let value {
                rc = value.withUnsafeBytes { vb in
                    var v = MDB_val(mv_size: vb.count, mv_data: UnsafeMutableRawPointer(mutating: vb.baseAddress))
                    return mdb_del(txn, db.dbi, &k, &v)
                }
            } else {
                rc = mdb_del(txn, db.dbi, &k, nil)
            }
            if rc == MDB_NOTFOUND { return false }
            try LMDBError.check(rc, "del \(db.name)")
            return true
        }
    }
}
