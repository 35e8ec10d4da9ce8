import Catalogue
import LMDB
#if canImport(Glibc)
import Glibc
#endif

/// A Buurtboek ledger: a directory holding one LMDB environment with the log, its indexes, the
/// Merkle tree's stored hashes and the catalogues in force. See Schemas/RECORD-FORMAT.md.
public final class Ledger: @unchecked Sendable {
    /// The on-disk format of the ledger as a whole (databases and their keys). A ledger of
    /// format 2 is upgraded when opened (see `upgradeFromFormat2`).
    public static let formatVersion = 3

    public let path: String
    let env: Environment
    let db: Databases
    /// The catalogue in force when the ledger was opened, and its number.
    public let catalogue: Catalogue
    public let catalogueNumber: UInt32

    struct Databases {
        let log, tree, ids, streams, types, days, states, meta, catalogues, catalogueHistory: Database
        /// Each position's previous position in its stream (see `StreamIndex`).
        let streamLinks: Database
        /// Erased residents, the streams that named them, and each resident's streams.
        let erased, erasedStreams, residentStreams: Database
        /// Signed checkpoints by tree size.
        let checkpoints: Database

        static let specs: [(name: String, options: DatabaseOptions)] = [
            ("log", []), ("tree", []), ("ids", []), ("streams", []), ("types", []), ("days", []),
            ("states", []), ("meta", []), ("catalogues", []), ("catalogue_history", []),
            ("erased", []), ("erased_streams", []), ("resident_streams", []), ("checkpoints", []),
            ("stream_links", []),
        ]

        init(_ dbs: [Database]) {
            (log, tree, ids, streams, types, days, states, meta, catalogues, catalogueHistory) =
                (dbs[0], dbs[1], dbs[2], dbs[3], dbs[4], dbs[5], dbs[6], dbs[7], dbs[8], dbs[9])
            (erased, erasedStreams, residentStreams, checkpoints) = (dbs[10], dbs[11], dbs[12], dbs[13])
            streamLinks = dbs[14]
        }
    }

    /// Opens and seals personal sections; nil when no master key was given.
    public var sealer: PersonalDataSealer?

    /// Creates a new ledger in `path` (a new or empty directory, made mode 0700) with `catalogue`.
    public static func create(at path: String, catalogue: Catalogue, initialMapSize: Int = 64 << 20) throws -> Ledger {
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
                try txn.put(dbs.meta, Array("format".utf8), Array(String(formatVersion).utf8))
                try txn.put(dbs.catalogues, Keys.u32(1), catalogue.bundle)
                try txn.put(dbs.meta, Array("catalogue".utf8), Keys.u32(1))
            }
        }
        return Ledger(path: path, env: env, db: dbs, catalogue: catalogue, catalogueNumber: 1)
    }

    /// Opens an existing ledger.
    public static func open(at path: String) throws -> Ledger {
        guard access(path + "/data.mdb", F_OK) == 0 else {
            var info = stat()
            if stat(path, &info) != 0 { throw LedgerError.storage("no ledger at \(path) (run `buurtboek init` first, or pass --ledger)") }
            throw LedgerError.storage("\(path) is not a Buurtboek ledger (no data.mdb in it)")
        }
        let env = try wrap { try Environment(path: path, maxDatabases: 32) }
        // The format is read first: another format may have other databases, or the same ones
        // with other flags, which LMDB would refuse to open as this build declares them.
        let format: String
        do {
            let meta = try env.databases([("meta", [])], create: false)[0]
            format = try env.read { txn in try txn.get(meta, Array("format".utf8)).map { String(decoding: $0, as: UTF8.self) } ?? "?" }
        } catch let error as LMDBError where error.isNotFound {
            throw LedgerError.storage("\(path) is not a Buurtboek ledger (an LMDB environment without the ledger's databases)")
        } catch {
            throw LedgerError.storage("\(path): \(error)")
        }
        guard format == String(formatVersion) || format == "2" else {
            let hint = format == "1" ? " (export it with the build that wrote it, `init` a new ledger, copy keystore/ into it, and `import --restore` the export)" : ""
            throw LedgerError.storage("\(path) has ledger format \(format); this build reads format \(formatVersion)\(hint)")
        }
        let dbs: Databases
        do {
            dbs = Databases(try env.databases(Databases.specs, create: false))
        } catch let error as LMDBError where error.isNotFound {
            throw LedgerError.storage("\(path) is not a Buurtboek ledger (an LMDB environment without the ledger's databases)")
        } catch {
            throw LedgerError.storage("\(path): \(error)")
        }
        if format == "2" {
            do { try upgradeFromFormat2(env: env, db: dbs) } catch {
                throw LedgerError.storage("\(path) has ledger format 2 and could not be upgraded to format \(formatVersion): \(error)")
            }
        }
        let (number, bundle): (UInt32, [UInt8]) = try wrap {
            try env.read { txn in
                guard let n = try txn.get(dbs.meta, Array("catalogue".utf8)) else { return (0, []) }
                let number = Keys.readU32(n)
                return (number, try txn.get(dbs.catalogues, Keys.u32(number)).map { Array($0) } ?? [])
            }
        }
        let catalogue: Catalogue
        do { catalogue = try Catalogue(bundle: bundle) } catch {
            throw LedgerError.storage("\(path): the stored catalogue \(number) cannot be loaded: \(error)")
        }
        return Ledger(path: path, env: env, db: dbs, catalogue: catalogue, catalogueNumber: number)
    }

    /// Format 3 keeps `resident_streams` in the order streams start (u64 sequence number ->
    /// resident ‖ 0x00 ‖ stream) instead of by resident (resident ‖ 0x00 ‖ stream -> empty); every
    /// other database is as in format 2. The entries are rewritten in one transaction, in their
    /// old order, and the format is set: another process sees format 2 or format 3, never a mix.
    static func upgradeFromFormat2(env: Environment, db: Databases) throws {
        try env.write { txn in
            // Another process may have upgraded it since the format was read.
            guard try txn.get(db.meta, Array("format".utf8)).map({ Array($0) }) == Array("2".utf8) else { return }
            let cursor = try txn.cursor(db.residentStreams)
            var entries: [[UInt8]] = []
            var entry = try cursor.first()
            while let e = entry {
                entries.append(Array(e.key))
                entry = try cursor.next()
            }
            try txn.empty(db.residentStreams)
            for (i, value) in entries.enumerated() {
                try txn.put(db.residentStreams, Keys.u64(UInt64(i + 1)), value, options: .append)
            }
            try txn.put(db.meta, Array("format".utf8), Array(String(formatVersion).utf8))
        }
    }

    private init(path: String, env: Environment, db: Databases, catalogue: Catalogue, catalogueNumber: UInt32) {
        self.path = path
        self.env = env
        self.db = db
        self.catalogue = catalogue
        self.catalogueNumber = catalogueNumber
    }

    /// Makes `catalogue` the one in force for events appended from now on. Returns its number,
    /// or the current number when it is byte-for-byte the catalogue already in force.
    public func install(catalogue: Catalogue) throws -> (number: UInt32, changed: Bool) {
        try Ledger.wrap {
            try env.write { txn in
                let current = try txn.get(db.meta, Array("catalogue".utf8)).map(Keys.readU32) ?? 0
                if let bytes = try txn.get(db.catalogues, Keys.u32(current)), bytes.elementsEqual(catalogue.bundle) {
                    return (current, false)
                }
                let next = current + 1
                try txn.put(db.catalogues, Keys.u32(next), catalogue.bundle)
                try txn.put(db.meta, Array("catalogue".utf8), Keys.u32(next))
                return (next, true)
            }
        }
    }

    /// Turns LMDB's errors into storage errors and malformed records into integrity errors;
    /// anything else (the ledger's own errors, a caller's from inside a closure) passes through.
    static func wrap<R>(_ body: () throws -> R) throws -> R {
        do { return try body() } catch let error as LMDBError {
            throw LedgerError.storage("\(error)")
        } catch let error as RecordFormatError {
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
                if try txn.insertIfAbsent(db.checkpoints, Keys.u64(size), Array(note.utf8)) != nil {
                    throw LedgerError(.conflict, "a checkpoint of size \(size) is already stored")
                }
                try txn.put(db.meta, Array("checkpoint.verifier".utf8), Array(verifierKey.utf8))
            }
        }
    }

    /// Disk and map figures for `stats`.
    public var environmentInfo: Environment.Info { env.info }
}
