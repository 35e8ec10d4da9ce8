import CLMDB
import Threads
#if canImport(Glibc)
import Glibc
#endif

/// A named database inside an environment: a handle that stays valid for the environment's life.
public struct Database: Sendable {
    public let dbi: MDB_dbi
    public let name: String
}

/// Flags for opening a database; see LMDB's mdb_dbi_open.
public struct DatabaseOptions: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Several values per key, sorted.
    public static let duplicateSort = DatabaseOptions(rawValue: UInt32(MDB_DUPSORT))
    /// With duplicateSort: every value has the same size, which LMDB packs densely.
    public static let duplicateFixed = DatabaseOptions(rawValue: UInt32(MDB_DUPFIXED))
}

/// An LMDB environment: one memory map over a directory holding data.mdb and lock.mdb.
///
/// Transactions are scoped by closures: `read` and `write` begin one, pass it to the closure
/// and end it, committing a write only when the closure returns normally. When a write fills
/// the map, the environment doubles the map and runs the closure again from the start, so a
/// write closure must do nothing outside the transaction that it cannot repeat.
///
/// LMDB resizes a map only while the process has no transaction open. An environment that
/// several threads of one process use at once (`threads: true`) therefore keeps a lock that
/// transactions, read and write, share and a resize takes alone; one used by a single thread
/// at a time needs none. Such an environment must not nest one transaction inside another on
/// the same thread: a resize there would wait for the thread's own share.
public final class Environment: @unchecked Sendable {
    let env: OpaquePointer
    public let path: String
    private let resizing: ReadWriteLock?

    /// Opens (creating the files if needed) the environment in the directory `path`.
    public init(path: String, maxDatabases: UInt32 = 16, initialMapSize: Int = 64 << 20,
                readOnly: Bool = false, fileMode: mode_t = 0o600, threads: Bool = false) throws {
        var env: OpaquePointer?
        try LMDBError.check(mdb_env_create(&env), "env_create")
        self.env = env!
        self.path = path
        resizing = threads ? ReadWriteLock() : nil
        do {
            try LMDBError.check(mdb_env_set_maxdbs(self.env, maxDatabases), "env_set_maxdbs")
            try LMDBError.check(mdb_env_set_maxreaders(self.env, 256), "env_set_maxreaders")
            // A map smaller than the file is raised to the file's size by LMDB on open.
            try LMDBError.check(mdb_env_set_mapsize(self.env, initialMapSize), "env_set_mapsize")
            // NOTLS: read transactions are not tied to a thread, so readers may be handed around.
            var flags = UInt32(MDB_NOTLS)
            if readOnly { flags |= UInt32(MDB_RDONLY) }
            try LMDBError.check(mdb_env_open(self.env, path, flags, fileMode), "env_open \(path)")
        } catch {
            mdb_env_close(self.env)
            throw error
        }
    }

    deinit { mdb_env_close(env) }

    /// Opens named databases. With `create`, missing ones are made (this takes the write lock);
    /// without, they must exist, and only a read transaction is used, so opening never waits
    /// for a writer in another process.
    public func databases(_ specs: [(name: String, options: DatabaseOptions)], create: Bool) throws -> [Database] {
        try sharingTheMap {
            let txn = try begin(flags: create ? 0 : UInt32(MDB_RDONLY))
            var opened: [Database] = []
            do {
                for spec in specs {
                    var dbi: MDB_dbi = 0
                    let flags = spec.options.rawValue | (create ? UInt32(MDB_CREATE) : 0)
                    try LMDBError.check(mdb_dbi_open(txn, spec.name, flags, &dbi), "dbi_open \(spec.name)")
                    opened.append(Database(dbi: dbi, name: spec.name))
                }
            } catch {
                mdb_txn_abort(txn)
                throw error
            }
            // Handles opened in a transaction survive only if it commits, read-only ones included.
            try LMDBError.check(mdb_txn_commit(txn), "txn_commit (open databases)")
            return opened
        }
    }

    /// Runs `body` in a read-only transaction: a consistent snapshot that never blocks the writer.
    /// Buffers read inside are views into the map and must not escape `body`.
    public func read<R>(_ body: (Transaction) throws -> R) throws -> R {
        try sharingTheMap {
            let txn = try begin(flags: UInt32(MDB_RDONLY))
            defer { mdb_txn_abort(txn) }
            return try body(Transaction(txn: txn))
        }
    }

    /// Runs `body` in the (single, inter-process) write transaction. A throw aborts it; a
    /// normal return commits, durably.
    public func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        try sharingTheMap {
            while true {
                let txn = try begin(flags: 0)
                do {
                    let result = try body(WriteTransaction(txn: txn))
                    let rc = mdb_txn_commit(txn)
                    if rc == MDB_MAP_FULL { try grow(); continue }
                    try LMDBError.check(rc, "txn_commit")
                    return result
                } catch let error as LMDBError where error.isMapFull {
                    mdb_txn_abort(txn)
                    try grow()
                } catch {
                    mdb_txn_abort(txn)
                    throw error
                }
            }
        }
    }

    /// Runs `body`, which opens a transaction, with a share of the resize lock (if the
    /// environment keeps one): no thread of this process changes the map under a transaction,
    /// read or write.
    private func sharingTheMap<R>(_ body: () throws -> R) rethrows -> R {
        resizing?.lockShared()
        defer { resizing?.unlock() }
        return try body()
    }

    /// Begins a transaction, from a thread that holds a share of the resize lock (if any).
    private func begin(flags: UInt32) throws -> OpaquePointer {
        var txn: OpaquePointer?
        var rc = mdb_txn_begin(env, nil, flags, &txn)
        if rc == MDB_MAP_RESIZED {
            // Another process grew the map: adopt its size and try again.
            try resize(to: 0)
            rc = mdb_txn_begin(env, nil, flags, &txn)
        }
        try LMDBError.check(rc, flags == 0 ? "txn_begin (write)" : "txn_begin (read)")
        return txn!
    }

    /// Doubles the map (no transaction open).
    private func grow() throws {
        try resize(to: info.mapSize * 2)
    }

    /// Sets the map's size (0: the size another process gave it), with no transaction of this
    /// process open: the calling thread gives up its share of the lock meanwhile.
    private func resize(to size: Int) throws {
        if let resizing {
            resizing.unlock()
            resizing.lockExclusive()
        }
        defer {
            if let resizing {
                resizing.unlock()
                resizing.lockShared()
            }
        }
        try LMDBError.check(mdb_env_set_mapsize(env, size), "env_set_mapsize \(size)")
    }

    public struct Info: Sendable {
        public let mapSize: Int
        public let usedBytes: Int
        public let pageSize: Int
    }

    public var info: Info {
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        var stat = MDB_stat()
        mdb_env_stat(env, &stat)
        let page = Int(stat.ms_psize)
        return Info(mapSize: info.me_mapsize, usedBytes: (info.me_last_pgno + 1) * page, pageSize: page)
    }

    /// Writes a copy of the environment into the directory `path` without its free pages
    /// (mdb_env_copy2 with MDB_CP_COMPACT).
    public func copyCompacted(to path: String) throws {
        try LMDBError.check(mdb_env_copy2(env, path, UInt32(MDB_CP_COMPACT)), "env_copy2 \(path)")
    }
}
