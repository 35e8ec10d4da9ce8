import Crypto
import Ledger
import LMDB
#if canImport(Glibc)
import Glibc
import Merkle
#endif

/// An order-independent digest of a read model: the sum, modulo 2^256, of SHA-256 over every
/// (table, key, value). Adding or removing one row adjusts it in O(1), so `project` can keep it
/// current without rereading the model, and two models with the same rows have the same digest
/// however they were built.
public struct ModelDigest: Equatable, Sendable, CustomStringConvertible {
    var limbs: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    public init() {}

    init(bytes: UnsafeRawBufferPointer) {
        limbs = (bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).bigEndian,
                 bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self).bigEndian,
                 bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self).bigEndian,
                 bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self).bigEndian)
    }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        for limb in [limbs.0, limbs.1, limbs.2, limbs.3] { withUnsafeBytes(of: limb.bigEndian) { out.append(contentsOf: $0) } }
        return out
    }

    public var description: String { bytes.map { String($0, radix: 16).leftPadded(2) }.joined() }

    public static func == (a: ModelDigest, b: ModelDigest) -> Bool { a.bytes == b.bytes }

    private static func entryHash(_ table: String, _ key: String, _ value: UnsafeRawBufferPointer) -> (UInt64, UInt64, UInt64, UInt64) {
        var h = SHA256()
        var (t, k) = (table, key)
        t.withUTF8 { h.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        withUnsafeBytes(of: UInt8(0)) { h.update(bufferPointer: $0) }
        k.withUTF8 { h.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        withUnsafeBytes(of: UInt8(0)) { h.update(bufferPointer: $0) }
        h.update(bufferPointer: value)
        let d = Array(h.finalize())
        return d.withUnsafeBytes { ModelDigest(bytes: $0).limbs }
    }

    /// 256-bit addition (or subtraction) of an entry's hash, limb 0 most significant.
    private mutating func combine(_ h: (UInt64, UInt64, UInt64, UInt64), subtract: Bool) {
        var a = [limbs.0, limbs.1, limbs.2, limbs.3], b = [h.0, h.1, h.2, h.3]
        if subtract { // a - b = a + (~b + 1)
            b = b.map { ~$0 }
            var i = 3
            while i >= 0 { let (s, o) = b[i].addingReportingOverflow(1); b[i] = s; if !o { break }; i -= 1 }
        }
        var carry: UInt64 = 0
        for i in stride(from: 3, through: 0, by: -1) {
            let (s1, o1) = a[i].addingReportingOverflow(b[i])
            let (s2, o2) = s1.addingReportingOverflow(carry)
            a[i] = s2
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        limbs = (a[0], a[1], a[2], a[3])
    }

    mutating func add(_ table: String, _ key: String, _ value: UnsafeRawBufferPointer) {
        combine(Self.entryHash(table, key, value), subtract: false)
    }

    mutating func remove(_ table: String, _ key: String, _ value: UnsafeRawBufferPointer) {
        combine(Self.entryHash(table, key, value), subtract: true)
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

/// Where a read model stands: the projector version that built it, the last log position it
/// has applied, and its digest. Stored in the same transaction as the rows.
public struct ModelState: Equatable, Sendable {
    public var version: Int
    public var position: UInt64
    public var digest: ModelDigest
    /// The RFC 9162 root of the log's first `position` events: ties the model to the exact log it
    /// was folded from, so a model over a log that was since replaced is noticed and rebuilt.
    public var logRoot: [UInt8] = Hash.empty.bytes
}

/// The read models' own LMDB environment: `<ledger>/readmodels` for the live models, another
/// directory for a replay's scratch copy. Apart from the log so that projecting never holds
/// the ledger's write lock, and so that a replay can never touch the live models.
///
/// Databases: `meta` (`format` → ASCII store format version; projector name → u32 version ‖
/// u64 position ‖ 32-byte digest) and one database per table, `PROJECTOR.TABLE` (row key,
/// UTF-8 → row bytes, see RowCodec).
public final class ReadModelStore {
    let env: Environment
    let meta: Database
    private var tables: [String: Database] = [:]
    public let path: String

    public static func livePath(ledger: String) -> String { ledger + "/readmodels" }

    /// LMDB's errors leave the read models as storage errors of their own, so that no caller
    /// needs to know that LMDB is underneath (the CLI imports no LMDB).
    static func storageErrors<R>(_ body: () throws -> R) throws -> R {
        do { return try body() } catch let error as LMDBError { throw ProjectionError.storage("read models: \(error)") }
    }

    func read<R>(_ body: (Transaction) throws -> R) throws -> R { try Self.storageErrors { try env.read(body) } }
    func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R { try Self.storageErrors { try env.write(body) } }

    public init(path: String) throws {
        self.path = path
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw ProjectionError.storage("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let env = try Self.storageErrors { try Environment(path: path, maxDatabases: 64, initialMapSize: 32 << 20) }
        self.env = env
        var specs: [(name: String, options: DatabaseOptions)] = [("meta", [])]
        for type in Projectors.all { for table in type.make().tables { specs.append(("\(type.name).\(table.name)", [])) } }
        let opened = try Self.storageErrors { try env.databases(specs, create: true) }
        meta = opened[0]
        for db in opened.dropFirst() { tables[db.name] = db }
        try write { txn in
            let key = Array("format".utf8)
            let stored = try txn.get(meta, key).map { Int(String(decoding: $0, as: UTF8.self)) ?? Int.max }
            if let stored, stored > Self.formatVersion {
                throw ProjectionError.storage("\(path) holds read models in format \(stored), newer than this build's \(Self.formatVersion)")
            }
            if stored != Self.formatVersion {
                // An older layout: read models are derived data, so they are simply built again.
                try txn.empty(meta)
                for db in tables.values { try txn.empty(db) }
                try txn.put(meta, key, Array(String(Self.formatVersion).utf8))
            }
        }
    }

    /// The layout of this store (documented in Schemas/RECORD-FORMAT.md, "Read models").
    /// 2: each model's state holds the log root it was folded up to.
    public static let formatVersion = 2

    func database(_ projector: String, _ table: String) -> Database { tables["\(projector).\(table)"]! }

    func state(_ name: String, in txn: Transaction) throws -> ModelState? {
        guard let v = try txn.get(meta, Array(name.utf8)), v.count == 76 else { return nil }
        return ModelState(version: Int(UInt32(littleEndian: v.loadUnaligned(as: UInt32.self))),
                          position: UInt64(littleEndian: v.loadUnaligned(fromByteOffset: 4, as: UInt64.self)),
                          digest: ModelDigest(bytes: UnsafeRawBufferPointer(rebasing: v[12..<44])),
                          logRoot: Array(v[44..<76]))
    }

    func setState(_ name: String, _ state: ModelState, in txn: WriteTransaction) throws {
        var value: [UInt8] = []
        withUnsafeBytes(of: UInt32(state.version).littleEndian) { value.append(contentsOf: $0) }
        withUnsafeBytes(of: state.position.littleEndian) { value.append(contentsOf: $0) }
        value.append(contentsOf: state.digest.bytes)
        value.append(contentsOf: state.logRoot)
        try txn.put(meta, Array(name.utf8), value)
    }

    public func states() throws -> [String: ModelState] {
        try read { txn in
            var out: [String: ModelState] = [:]
            for type in Projectors.all { out[type.name] = try state(type.name, in: txn) }
            return out
        }
    }

    /// Every row of one table, in key order.
    func rows(_ projector: String, _ table: String, in txn: Transaction,
              _ body: (String, UnsafeRawBufferPointer) throws -> Void) throws {
        let cursor = try txn.cursor(database(projector, table))
        try cursor.forEach { e in
            try body(String(decoding: e.key, as: UTF8.self), e.value)
            return true
        }
    }

    func clear(_ projector: any Projector, in txn: WriteTransaction) throws {
        for table in projector.tables { try txn.empty(database(projector.name, table.name)) }
    }

    /// Writes the rows a fold changed and moves the digest along with them.
    func write(_ projector: any Projector, state: inout ModelState, in txn: WriteTransaction) throws {
        for table in projector.tables {
            if let failure = table.loadFailure { throw failure }
            let db = database(projector.name, table.name)
            // Into an empty table the rows go in key order, appended: no B-tree search per row.
            let empty = try txn.count(db) == 0
            for change in table.encodedChanges() {
                if !empty, let old = try txn.get(db, change.key) { state.digest.remove(table.name, change.text, old) }
                if let value = change.value {
                    try txn.put(db, change.key, value, options: empty ? .append : [])
                    value.withUnsafeBytes { state.digest.add(table.name, change.text, $0) }
                } else {
                    try txn.delete(db, change.key)
                }
            }
        }
        try setState(projector.name, state, in: txn)
    }
}

public enum ProjectionError: Error, CustomStringConvertible {
    case storage(String)
    case refused(String)

    public var description: String {
        switch self { case .storage(let m), .refused(let m): return m }
    }
}
