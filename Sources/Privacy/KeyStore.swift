import Crypto
import Foundation
import JSON
import LMDB
import Ledger
import TextFormats
import Threads

/// The data keys, apart from the log: an LMDB environment of its own in `<ledger>/keystore/`,
/// never part of data.mdb nor of an export. Each data key is stored wrapped (ChaCha20-Poly1305)
/// under the master key, its id as associated data. Destroying a key is erasure: what it sealed
/// can no longer be read by anyone, with or without the master key.
///
/// Processes that use the store hold a shared lock on `keystore/lock`; compaction after an
/// erasure takes it exclusively, so no process writes to a file that is being replaced.
public final class KeyStore: @unchecked Sendable {
    let path: String
    var env: Environment
    var keys: Database, meta: Database, accessLog: Database, tokens: Database
    private let master: MasterKey
    /// Guards the cache, `pending` and `env`, for moments only.
    private let lock = Lock()
    /// Serializes writing the store: persisting new keys, destroying keys and compacting.
    private let persisting = Lock()
    private var cache: [String: SymmetricKey] = [:]
    private var pending: [(id: String, wrapped: [UInt8])] = []
    private let lockFile: Int32

    /// The meta key of the sealed check value that proves the master key opens this store.
    static let checkKey = Array("check".utf8)

    /// The map a new store starts with; it grows as keys are added.
    static let initialMapSize = 64 << 20

    public convenience init(ledgerPath: String, masterKey: MasterKey) throws {
        try self.init(ledgerPath: ledgerPath, masterKey: masterKey, initialMapSize: KeyStore.initialMapSize)
    }

    /// With a small `initialMapSize`, for tests that make the map grow.
    init(ledgerPath: String, masterKey: MasterKey, initialMapSize: Int) throws {
        path = ledgerPath + "/keystore"
        master = masterKey
        if access(path, F_OK) != 0 {
            guard mkdir(path, 0o700) == 0 else {
                throw LedgerError(.storage, "cannot create the key store \(path): \(String(cString: strerror(errno)))")
            }
        }
        lockFile = open(path + "/lock", O_RDWR | O_CREAT, 0o600)
        guard lockFile >= 0, flock(lockFile, LOCK_SH) == 0 else {
            throw LedgerError(.storage, "cannot lock the key store \(path)")
        }
        (env, keys, meta, accessLog, tokens) = try KeyStore.openEnvironment(path, mapSize: initialMapSize)
        try checkMasterKey()
    }

    deinit { close(lockFile) }

    private static func openEnvironment(_ path: String, mapSize: Int = KeyStore.initialMapSize) throws -> (Environment, Database, Database, Database, Database) {
        do {
            // Shared by the preparing threads of an import, which look keys up while the
            // writer stores new ones (and may grow the map).
            let env = try Environment(path: path, maxDatabases: 8, initialMapSize: mapSize, threads: true)
            let dbs = try env.databases([("keys", []), ("meta", []), ("access", []), ("tokens", [])], create: true)
            return (env, dbs[0], dbs[1], dbs[2], dbs[3])
        } catch {
            throw LedgerError(.storage, "key store \(path): \(error)")
        }
    }

    /// A value sealed under the master key on first use: a different master key cannot open it.
    private func checkMasterKey() throws {
        let check = Array("buurtboek key store".utf8)
        let stored = try env.read { try $0.get(meta, KeyStore.checkKey).map { Array($0) } }
        if let stored {
            guard (try? ChaChaPoly.open(ChaChaPoly.SealedBox(combined: stored), using: master.key, authenticating: check)) != nil else {
                throw LedgerError(.storage, "the master key does not match this ledger's key store (\(path))")
            }
        } else {
            let sealed = try ChaChaPoly.seal(check, using: master.key, authenticating: check).combined
            try env.write { try $0.put(meta, KeyStore.checkKey, Array(sealed)) }
        }
    }

    /// The data key `id`, or nil when there is none (never made, or destroyed).
    func dataKey(_ id: String) throws -> SymmetricKey? {
        lock.lock()
        defer { lock.unlock() }
        if let key = cache[id] { return key }
        let key = try storedKey(id, in: env)
        if let key { cache[id] = key }
        return key
    }

    /// The data key `id`, made when missing from bytes of the caller's `randomness`: every
    /// sealed event needs its key, and the preparing threads share the store.
    ///
    /// The lock is held only for the cache: looking a missing key up in the store, and wrapping
    /// a new one, happen outside it, with the calling thread's own randomness (see
    /// `Sealer.forOneThread`).
    func sealingKey(_ id: String, randomness: inout RandomPool) throws -> SymmetricKey {
        lock.lock()
        let cached = cache[id]
        let store = env
        lock.unlock()
        if let cached { return cached }
        var made: (key: SymmetricKey, wrapped: [UInt8]?)
        if let stored = try storedKey(id, in: store) {
            made = (stored, nil)
        } else {
            // The new key lives on the stack until SymmetricKey holds it, and is wiped there.
            made = try withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { fresh in
                defer { _ = memset(fresh.baseAddress!, 0, fresh.count) }
                try randomness.take(into: fresh)
                var wrapped: [UInt8] = []
                wrapped.reserveCapacity(12 + 32 + 16)
                var id = id
                try id.withUTF8 { idBytes in
                    try AEAD.seal(UnsafeRawBufferPointer(fresh), key: master.key, randomness: &randomness, associatedFrom: 0,
                                  UnsafeRawBufferPointer(idBytes), appendingTo: &wrapped)
                }
                return (SymmetricKey(data: UnsafeRawBufferPointer(fresh)), wrapped)
            }
        }
        lock.lock()
        defer { lock.unlock() }
        // Another thread may have made or found the same key meanwhile: the first one stands.
        if let key = cache[id] { return key }
        cache[id] = made.key
        if let wrapped = made.wrapped { pending.append((id, wrapped)) }
        return made.key
    }

    /// The key `id` as stored (unwrapped with the master key), or nil when the store has none.
    private func storedKey(_ id: String, in store: Environment) throws -> SymmetricKey? {
        let idBytes = Array(id.utf8)
        guard let wrapped = try store.read({ try $0.get(keys, idBytes).map { Array($0) } }) else { return nil }
        return SymmetricKey(data: try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: wrapped), using: master.key, authenticating: idBytes))
    }

    /// Writes the keys created since the last call, durably. Call before committing events.
    /// The keys are taken from `pending` and written outside the cache's lock: the write waits
    /// for the disk, and the preparing threads must not wait with it. The cache still holds them.
    public func persist() throws {
        persisting.lock()
        defer { persisting.unlock() }
        lock.lock()
        let created = pending
        pending.removeAll()
        let store = env
        lock.unlock()
        guard !created.isEmpty else { return }
        do {
            try store.write { txn in
                let cursor = try txn.cursor(keys)
                for (id, wrapped) in created {
                    var id = id
                    let existing = try id.withUTF8 { key in
                        try wrapped.withUnsafeBytes { try cursor.insertIfAbsent(UnsafeRawBufferPointer(key), $0) }
                    }
                    if existing != nil {
                        throw LedgerError(.conflict, "the data key \(id) was created by another process at the same time; run the command again")
                    }
                }
            }
        } catch {
            lock.lock()
            pending.insert(contentsOf: created, at: 0)
            lock.unlock()
            throw error
        }
    }

    /// Destroys data keys, then rewrites the store without its free pages, so that no copy of a
    /// destroyed key survives in any file. Returns how many keys existed.
    public func destroy(_ ids: [String]) throws -> Int {
        persisting.lock()
        defer { persisting.unlock() }
        lock.lock()
        defer { lock.unlock() }
        let destroyed = try env.write { txn in try ids.reduce(0) { $0 + (try txn.delete(keys, Array($1.utf8)) ? 1 : 0) } }
        for id in ids { cache[id] = nil }
        pending.removeAll { ids.contains($0.id) }
        try compact()
        return destroyed
    }

    /// Whether this process could compact the store now: no other process has it open, or
    /// they let go within `seconds` (a CLI command ends in milliseconds; a team server never
    /// does). Erasure asks first, so that it refuses before it records anything.
    public func waitForSoleUse(seconds: Double = 5) throws {
        try lockExclusively(seconds: seconds)
        flock(lockFile, LOCK_SH)
    }

    private func lockExclusively(seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while flock(lockFile, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else {
                throw LedgerError(.storage, "the key store \(path) is open in another process (a team server?): erase through the server (--ledger https://...) or stop it first")
            }
            usleep(50_000)
        }
    }

    private func compact() throws {
        // Wait for other processes to let go of the store, then swap in a compacted copy.
        try lockExclusively(seconds: 5)
        defer { flock(lockFile, LOCK_SH) }
        let copy = path + "/compact"
        try? FileManager.default.removeItem(atPath: copy)
        guard mkdir(copy, 0o700) == 0 else { throw LedgerError(.storage, "cannot create \(copy)") }
        do { try env.copyCompacted(to: copy) } catch { throw LedgerError(.storage, "key store compaction: \(error)") }
        // mdb_env_copy2 makes its file with the process's umask; the store stays owner-only.
        chmod(copy + "/data.mdb", 0o600)
        guard rename(copy + "/data.mdb", path + "/data.mdb") == 0 else {
            throw LedgerError(.storage, "cannot replace the key store: \(String(cString: strerror(errno)))")
        }
        try? FileManager.default.removeItem(atPath: copy)
        (env, keys, meta, accessLog, tokens) = try KeyStore.openEnvironment(path)
    }

    /// Whether the store holds the data key `id` (never made, or destroyed, when not).
    public func holdsKey(_ id: String) throws -> Bool {
        try env.read { try $0.get(keys, Array(id.utf8)) != nil }
    }

    /// The store's map size, for tests that make it grow.
    func storedMapSize() throws -> Int { env.info.mapSize }

    /// The stored (wrapped) form of a key, for tests that look for it in files.
    func storedWrappedKey(_ id: String) throws -> [UInt8]? {
        try env.read { try $0.get(keys, Array(id.utf8)).map { Array($0) } }
    }

    // MARK: The access record

    /// Records that personal data was shown: who, when, about which resident or stream, by which command.
    public func recordAccess(worker: String, subject: String, command: String) throws {
        try recordAccess(worker: worker, subjects: [subject], command: command)
    }

    /// Records one entry per subject, in one transaction: a fold opens many residents' data.
    public func recordAccess(worker: String, subjects: [String], command: String) throws {
        let at = RFC3339.format(Clock.nowMicros())
        try env.write { txn in
            var next = try txn.cursor(accessLog).last().map { UInt64(bigEndian: $0.key.loadUnaligned(as: UInt64.self)) + 1 } ?? 1
            for subject in subjects {
                var entry = JSONObject()
                entry["at"] = .string(at)
                entry["by"] = .string(worker)
                entry["subject"] = .string(subject)
                entry["command"] = .string(command)
                try txn.put(accessLog, withUnsafeBytes(of: next.bigEndian) { Array($0) }, JSONWriter.canonical(.object(entry)), options: .append)
                next += 1
            }
        }
    }

    /// The access record, oldest first, as JSON objects.
    public func accessRecord() throws -> [JSONValue] {
        try env.read { txn in
            let cursor = try txn.cursor(accessLog)
            var out: [JSONValue] = []
            let parser = JSONParser()
            try cursor.forEach { e in
                out.append(try parser.value(Array(e.value)))
                return true
            }
            return out
        }
    }
}
