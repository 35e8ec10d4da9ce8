import Catalogue
import LMDB
import Threads
#if canImport(Glibc)
import Glibc
#endif

/// A Buurtboek ledger: a directory holding one LMDB environment with the log, its indexes, the
/// Merkle tree's stored hashes and the catalogues in force. See Schemas/RECORD-FORMAT.md.
public final class Ledger: @unchecked Sendable {
    /// The on-disk format of the ledger as a whole (databases and their keys). A ledger of
    /// format 2 or 3 is upgraded when opened (see `upgrade`).
    public static let formatVersion = 4
    /// The older formats `upgrade` brings to `formatVersion`.
    static let upgradableFormats: Set<String> = ["2", "3"]

    public let path: String
    let env: Environment
    let db: Databases
    /// The catalogue in force as this process last read it, and its number: read when the
    /// ledger is opened, and again by `refreshCatalogue` (a long-running server calls it when a
    /// commit finds that another process installed a newer one). Whatever it says, an append
    /// is only written while the catalogue that validated its events is still the one in force
    /// (see `Appender.append`).
    public var inForce: CatalogueInForce { inForceLock.withLock { _inForce } }
    public var catalogue: Catalogue { inForce.catalogue }
    public var catalogueNumber: UInt32 { inForce.number }
    private var _inForce: CatalogueInForce
    private let inForceLock = Lock()

    struct Databases {
        let log, tree, ids, types, days, meta: Database
        /// Each stream's head (see `StreamIndex`).
        let streams: TypedDatabase<RawBytes, StreamIndex.HeadCodec>
        /// The catalogues by number, and the number in force from each first position on.
        let catalogues: TypedDatabase<BigEndianU32, ByteArray>
        let catalogueHistory: TypedDatabase<BigEndianU64, BigEndianU32>
        /// Each position's previous position in its stream (see `StreamIndex`).
        let streamLinks: TypedDatabase<BigEndianU64, BigEndianU64>
        /// Erased residents, the streams that named them, and each resident's streams.
        let erased: TypedDatabase<UTF8Text, BigEndianU64>
        let erasedStreams, residentStreams: Database
        /// Signed checkpoints (C2SP signed notes) by tree size.
        let checkpoints: TypedDatabase<BigEndianU64, UTF8Text>

        static let specs: [(name: String, options: DatabaseOptions)] = [
            ("log", []), ("tree", []), ("ids", []), ("streams", []), ("types", []), ("days", []),
            ("meta", []), ("catalogues", []), ("catalogue_history", []),
            ("erased", []), ("erased_streams", []), ("resident_streams", []), ("checkpoints", []),
            ("stream_links", []),
        ]

        init(_ dbs: [Database]) {
            (log, tree, ids, streams, types, days, meta) = (dbs[0], dbs[1], dbs[2], TypedDatabase(dbs[3]), dbs[4], dbs[5], dbs[6])
            (catalogues, catalogueHistory) = (TypedDatabase(dbs[7]), TypedDatabase(dbs[8]))
            (erased, erasedStreams, residentStreams, checkpoints) = (TypedDatabase(dbs[9]), dbs[10], dbs[11], TypedDatabase(dbs[12]))
            streamLinks = TypedDatabase(dbs[13])
        }
    }

    /// When each stream's last step occurred, as this process committed it (see `StepTimes`).
    let stepTimes = StepTimes()

    /// Opens and seals personal sections; nil when no master key was given. Given at open (or
    /// create) and fixed for the ledger's life: every transaction seals with the same keys.
    public let sealer: PersonalDataSealer?

    /// Creates a new ledger in `path` (a new or empty directory, made mode 0700) with `catalogue`.
    public static func create(at path: String, catalogue: Catalogue, initialMapSize: Int = 64 << 20,
                              sealer: PersonalDataSealer? = nil) throws -> Ledger {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw LedgerError.storage("\(path) exists and is not a directory") }
            if access(path + "/data.mdb", F_OK) == 0 { throw LedgerError.storage("\(path) already holds a ledger") }
            guard isEmptyDirectory(path) else { throw LedgerError.storage("\(path) is not empty; a ledger needs a directory of its own") }
            chmod(path, 0o700)
        } else if mkdir(path, 0o700) != 0 {
            throw LedgerError.storage("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let env = try wrap { try Environment(path: path, maxDatabases: 32, initialMapSize: initialMapSize) }
        let dbs = try wrap { Databases(try env.databases(Databases.specs, create: true)) }
        try wrap {
            try env.write { txn in
                try txn.put(dbs.meta, MetaKey.format, Array(String(formatVersion).utf8))
                try dbs.catalogues.put(txn, 1, catalogue.bundle)
                try txn.put(dbs.meta, MetaKey.catalogue, Keys.u32(1))
            }
        }
        return Ledger(path: path, env: env, db: dbs, inForce: CatalogueInForce(number: 1, catalogue: catalogue), sealer: sealer)
    }

    /// Opens an existing ledger.
    /// With `sharedByThreads`, several threads may use the ledger at once (the team server's
    /// request handlers read while its committing thread writes), at the cost of a lock per
    /// transaction that lets the map grow safely (see `Environment`).
    public static func open(at path: String, sharedByThreads: Bool = false, sealer: PersonalDataSealer? = nil) throws -> Ledger {
        guard access(path + "/data.mdb", F_OK) == 0 else {
            var info = stat()
            if stat(path, &info) != 0 { throw LedgerError.storage("no ledger at \(path) (run `buurtboek init` first, or pass --ledger)") }
            throw LedgerError.storage("\(path) is not a Buurtboek ledger (no data.mdb in it)")
        }
        let env = try wrap { try Environment(path: path, maxDatabases: 32, threads: sharedByThreads) }
        // The format is read first: another format may have other databases, or the same ones
        // with other flags, which LMDB would refuse to open as this build declares them.
        let format: String
        do {
            let meta = try env.databases([("meta", [])], create: false)[0]
            format = try env.read { txn in try txn.get(meta, MetaKey.format).map { String(decoding: $0, as: UTF8.self) } ?? "?" }
        } catch let error as LMDBError where error.isNotFound {
            throw LedgerError.storage("\(path) is not a Buurtboek ledger (an LMDB environment without the ledger's databases)")
        } catch {
            throw LedgerError.storage("\(path): \(error)")
        }
        guard format == String(formatVersion) || format == "1" || upgradableFormats.contains(format) else {
            throw LedgerError.storage("\(path) has ledger format \(format); this build reads format \(formatVersion)")
        }
        // Format 1 declares four databases with other flags: it is upgraded before they are
        // opened as this build declares them.
        if format == "1" {
            do { try upgradeFromFormatOne(env: env) } catch {
                throw LedgerError.storage("\(path) has ledger format 1 and could not be upgraded to format \(formatVersion): \(error)")
            }
        }
        let dbs: Databases
        // Format 3's `states` is the one database format 4 does not have; it is opened to be
        // upgraded (which deletes it).
        var states: Database?
        do {
            if upgradableFormats.contains(format) { states = try env.databases([("states", [])], create: false)[0] }
            dbs = Databases(try env.databases(Databases.specs, create: false))
        } catch let error as LMDBError where error.isNotFound {
            throw LedgerError.storage("\(path) is not a Buurtboek ledger (an LMDB environment without the ledger's databases)")
        } catch {
            throw LedgerError.storage("\(path): \(error)")
        }
        if let states {
            do { try upgrade(env: env, db: dbs, states: states) } catch {
                throw LedgerError.storage("\(path) has ledger format \(format) and could not be upgraded to format \(formatVersion): \(error)")
            }
        }
        let inForce = try CatalogueInForce.read(env: env, db: dbs, path: path, reusing: nil)
        return Ledger(path: path, env: env, db: dbs, inForce: inForce, sealer: sealer)
    }

    /// Brings a ledger of format 2 or 3 to format 4 in one transaction, which also sets the
    /// format: another process sees the old format or the new one, never a mix.
    static func upgrade(env: Environment, db: Databases, states: Database) throws {
        try env.write { txn in
            // Another process may have upgraded it since the format was read.
            guard let format = try txn.get(db.meta, MetaKey.format).map({ String(decoding: $0, as: UTF8.self) }),
                  upgradableFormats.contains(format) else { return }
            if format == "2" {
                try residentStreamsInStartOrder(txn, db: db)
                if try FormatOne.treeIsPerHash(txn) { try FormatOne.treeInTiles(txn) }
            }
            try instanceStatesIntoHeads(txn, db: db, states: states)
            try txn.put(db.meta, MetaKey.format, Array(String(formatVersion).utf8))
        }
    }

    /// Format 3 keeps `resident_streams` in the order streams start (u64 sequence number ->
    /// resident ‖ 0x00 ‖ stream) instead of by resident (resident ‖ 0x00 ‖ stream -> empty).
    /// The entries are rewritten in their old order.
    private static func residentStreamsInStartOrder(_ txn: WriteTransaction, db: Databases) throws {
        let cursor = try txn.cursor(db.residentStreams)
        var entries: [[UInt8]] = []
        try cursor.forEach { e in
            entries.append(Array(e.key))
            return true
        }
        try txn.empty(db.residentStreams)
        for (i, value) in entries.enumerated() {
            try txn.put(db.residentStreams, Keys.u64(UInt64(i + 1)), value, options: .append)
        }
    }

    /// Format 4 keeps the states of lifecycles with instances in their stream's head, beside the
    /// others, instead of in a database of their own, `states` (stream ‖ 0x00 ‖ lifecycle ‖ 0x00 ‖
    /// instance -> state): an event then reads and writes one entry, not two. The entries come
    /// sorted by stream, so each head is rewritten once; `states` is then deleted.
    private static func instanceStatesIntoHeads(_ txn: WriteTransaction, db: Databases, states: Database) throws {
        var stream: [UInt8] = []
        var changes: [(lifecycle: [UInt8], state: [UInt8])] = []
        var head: [UInt8] = []
        func rewriteHead() throws {
            guard !changes.isEmpty else { return }
            guard let previous = try db.streams.get(txn, stream) else {
                throw LedgerError(.integrity, "lifecycle states of \(String(decoding: stream, as: UTF8.self)), a stream with no head")
            }
            StreamIndex.Head.encode(version: previous.version, last: previous.last, previous: previous.stateBytes, changes: changes, into: &head)
            try txn.put(db.streams.raw, stream, head)
            changes.removeAll()
        }
        // The cursor lives in this scope only: a write transaction's cursors must be closed
        // before their database is deleted.
        func moveEntries() throws {
            let cursor = try txn.cursor(states)
            try cursor.forEach { e in
                let key = Array(e.key), state = Array(e.value)
                guard let split = key.firstIndex(of: 0), key.count - split - 1 <= Keys.maxHeadEntryName, state.count <= Keys.maxHeadEntryName else {
                    throw LedgerError(.integrity, "a lifecycle state entry that does not fit a stream's head: \(String(decoding: key, as: UTF8.self).replacing("\u{0}", with: " "))")
                }
                if !key[..<split].elementsEqual(stream) {
                    try rewriteHead()
                    stream = Array(key[..<split])
                }
                changes.append((Array(key[(split + 1)...]), state))
                return true
            }
            try rewriteHead()
        }
        try moveEntries()
        try txn.deleteDatabase(states)
    }

    private init(path: String, env: Environment, db: Databases, inForce: CatalogueInForce, sealer: PersonalDataSealer?) {
        self.sealer = sealer
        self.path = path
        self.env = env
        self.db = db
        self._inForce = inForce
    }

    /// Reads the catalogue in force again; loads it only when its number changed. Returns the
    /// catalogue in force now.
    @discardableResult
    public func refreshCatalogue() throws -> CatalogueInForce {
        let fresh = try CatalogueInForce.read(env: env, db: db, path: path, reusing: inForce)
        return inForceLock.withLock {
            if fresh.number > _inForce.number { _inForce = fresh }
            return _inForce
        }
    }

    /// Makes `catalogue` the one in force for events appended from now on. Returns its number,
    /// or the current number when it is byte-for-byte the catalogue already in force.
    public func install(catalogue: Catalogue) throws -> (number: UInt32, changed: Bool) {
        let installed: (number: UInt32, changed: Bool) = try Ledger.wrap {
            try env.write { txn in
                let current = try txn.get(db.meta, MetaKey.catalogue).map(Keys.readU32) ?? 0
                if try db.catalogues.get(txn, current) == catalogue.bundle {
                    return (current, false)
                }
                let next = current + 1
                try db.catalogues.put(txn, next, catalogue.bundle)
                try txn.put(db.meta, MetaKey.catalogue, Keys.u32(next))
                return (next, true)
            }
        }
        // `catalogue` is, byte for byte, the one stored under the number in force now.
        inForceLock.withLock {
            if installed.number > _inForce.number { _inForce = CatalogueInForce(number: installed.number, catalogue: catalogue) }
        }
        return installed
    }

    /// Turns LMDB's errors into storage errors and malformed records into integrity errors;
    /// anything else (the ledger's own errors, a caller's from inside a closure) passes through.
    static func wrap<R>(_ body: () throws -> R) throws -> R {
        do { return try body() } catch let error as LMDBError {
            throw LedgerError.storage("\(error)")
        } catch let error as RecordFormatError {
            throw LedgerError(.integrity, "\(error) (run `buurtboek verify`)")
        } catch let error as CodecError {
            throw LedgerError(.integrity, "\(error) (run `buurtboek verify`)")
        }
    }

    private static func isEmptyDirectory(_ path: String) -> Bool {
        guard let dir = opendir(path) else { return false }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { return false }
        }
        return true
    }

    /// Stores a signed checkpoint of the tree at `size` (never replacing one), with the verifier
    /// key of its signer, which bundles carry.
    public func storeCheckpoint(size: UInt64, note: String, verifierKey: String) throws {
        try Ledger.wrap {
            try env.write { txn in
                if try db.checkpoints.insertIfAbsent(txn, size, note) != nil {
                    throw LedgerError(.conflict, "a checkpoint of size \(size) is already stored")
                }
                try txn.put(db.meta, MetaKey.checkpointVerifier, Array(verifierKey.utf8))
            }
        }
    }

    /// Disk and map figures for `stats`.
    public var environmentInfo: Environment.Info { env.info }
}
