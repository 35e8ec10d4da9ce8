#if canImport(Glibc)
import Glibc
#endif

/// One table of a read model: rows by key, held in memory while a fold runs. When the table is
/// backed by a store, rows not yet in memory are loaded on first touch and only the rows a fold
/// changed are written back; a replay starts empty and keeps everything in memory, so memory
/// grows with the read model, never with the log.
public final class Rows<Row: RowValue> {
    public let name: String
    private(set) var values: [RowKey: Row] = [:]
    private var absent: Set<RowKey> = []
    private(set) var changed: Set<RowKey> = []
    /// Reads a stored row; nil for a table that lives only in memory.
    var loader: ((String) throws -> Row?)?

    public init(_ name: String) { self.name = name }

    public subscript(text: String) -> Row? { self[RowKey(text)] }

    subscript(key: RowKey) -> Row? {
        unpack()
        if let row = values[key] { return row }
        guard let loader, !absent.contains(key) else { return nil }
        // A loader failure (a malformed row) surfaces when the fold flushes: see `failure`.
        do {
            if let row = try loader(key.text) { values[key] = row; return row }
        } catch { failure = error }
        absent.insert(key)
        return nil
    }

    /// The first error met while loading rows; the engine checks it before it commits.
    var failure: Error?

    /// Changes the row of the event's stream: the key's string is made only for a new row.
    @inline(__always)
    public func update(streamOf event: ProjectedEvent, _ body: (inout Row) -> Void) {
        let probe = RowKey(probing: event.streamBytes)
        if loader == nil, loaded == nil, let index = values.index(forKey: probe) {
            body(&values.values[index])
            return
        }
        update(RowKey(event.streamBytes, fingerprint: probe), body)
    }

    /// Changes the row at `key`, starting from an empty row when there is none.
    @inline(__always)
    public func update(_ text: String, _ body: (inout Row) -> Void) { update(RowKey(text), body) }

    private func update(_ key: RowKey, _ body: (inout Row) -> Void) {
        unpack()
        if loader != nil {
            if values[key] == nil { _ = self[key] }
            changed.insert(key)
            absent.remove(key)
        }
        body(&values[key, default: Row()])
    }

    public func remove(_ text: String) {
        let key = RowKey(text)
        _ = self[key]
        values[key] = nil
        if loader != nil { changed.insert(key); absent.insert(key) }
    }

    /// Rows read whole from a store for a report, in key order: kept as a plain array, since
    /// reports only iterate (a dictionary of large rows costs more to build than the report).
    private var loaded: [(key: String, row: Row)]?

    /// Every row in memory with its key. For a store-backed table, call `loadAll` first.
    public var entries: [(key: String, row: Row)] {
        if let loaded { return loaded }
        return values.map { ($0.key.text, $0.value) }
    }

    /// The rows in memory that pass `include`, copied out once (reports filter, then iterate).
    public func rows(where include: (Row) -> Bool) -> [Row] {
        if let loaded { return loaded.lazy.map(\.row).filter(include) }
        return values.values.filter(include)
    }

    /// Turns rows read for a report into the fold's dictionary, when a fold follows.
    private func unpack() {
        guard let rows = loaded else { return }
        loaded = nil
        values.reserveCapacity(rows.count)
        for (k, v) in rows { values[RowKey(k)] = v }
    }

    /// The rows a fold changed, as (key, bytes or nil for removed), sorted by key.
    func changes() -> [RowChange] {
        unpack()
        let keys = loader == nil ? Array(values.keys) : Array(changed)
        var out = keys.map { RowChange(key: Array($0.text.utf8), text: $0.text, value: values[$0]?.encoded) }
        // Byte order, which is LMDB's key order.
        out.sort { a, b in
            a.key.withUnsafeBytes { x in
                b.key.withUnsafeBytes { y in
                    let n = min(x.count, y.count)
                    let c = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
                    return c != 0 ? c < 0 : x.count < y.count
                }
            }
        }
        return out
    }

    func markClean() { changed = [] }
}

/// A row a fold wrote (value) or removed (nil), with its key as LMDB stores it.
public struct RowChange {
    let key: [UInt8]
    let text: String
    let value: [UInt8]?
}

/// The engine's view of a table, whatever its row type.
public protocol RowTable: AnyObject {
    var name: String { get }
    func encodedChanges() -> [RowChange]
    func attach(loader: ((String) throws -> [UInt8]?)?)
    func loadAll(_ rows: [(String, UnsafeRawBufferPointer)]) throws
    func clear()
    func describe(_ bytes: UnsafeRawBufferPointer) -> String
    var loadFailure: Error? { get }
    func contains(_ key: String) -> Bool
    func removeRow(_ key: String)
}

extension Rows: RowTable {
    public func encodedChanges() -> [RowChange] { changes() }

    public func attach(loader: ((String) throws -> [UInt8]?)?) {
        values = [:]
        loaded = nil
        absent = []
        changed = []
        failure = nil
        self.loader = loader.map { load in
            { key in try load(key).map { try $0.withUnsafeBytes { try Row.decode($0) } } }
        }
    }

    public func loadAll(_ rows: [(String, UnsafeRawBufferPointer)]) throws {
        clear()
        loaded = try rows.map { ($0.0, try Row.decode($0.1)) }
    }

    public func clear() {
        loaded = nil
        values = [:]
        absent = []
        changed = []
    }

    public func describe(_ bytes: UnsafeRawBufferPointer) -> String {
        (try? Row.decode(bytes)).map { String(describing: $0) } ?? "(malformed row)"
    }

    public var loadFailure: Error? { failure }

    public func contains(_ key: String) -> Bool { self[key] != nil }

    public func removeRow(_ key: String) { remove(key) }
}

/// A row key with a 128-bit fingerprint of its bytes, computed once: two 64-bit keyed hashes
/// under seeds drawn at random for this process. Keys compare by fingerprint alone, so a
/// dictionary probe never reaches into the key strings' storage (a cache miss per event when
/// keys such as `referral-2025-000042` are compared byte by byte), and a lookup needs no string
/// at all. Two different keys share a fingerprint with odds of about 2^-128 per pair, and the
/// random seeds keep anyone from arranging it.
struct RowKey: Hashable {
    let first: UInt64
    let second: UInt64
    let text: String

    init(_ text: String) {
        var t = text
        (first, second) = t.withUTF8 { Self.fingerprint(UnsafeRawBufferPointer($0)) }
        self.text = t
    }

    /// A key for lookups only: its text is left empty (equality ignores it).
    init(probing bytes: UnsafeRawBufferPointer) {
        (first, second) = Self.fingerprint(bytes)
        text = ""
    }

    init(_ bytes: UnsafeRawBufferPointer, fingerprint: RowKey) {
        first = fingerprint.first
        second = fingerprint.second
        text = String(decoding: bytes, as: UTF8.self)
    }

    static func == (a: RowKey, b: RowKey) -> Bool { a.first == b.first && a.second == b.second }

    func hash(into hasher: inout Hasher) { hasher.combine(first) }

    private static let seeds: (UInt64, UInt64) = {
        var random = SystemRandomNumberGenerator()
        return (random.next(), random.next())
    }()

    /// MurmurHash3's 64-bit finaliser: every input bit reaches every output bit.
    @inline(__always) private static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z ^= z >> 33; z &*= 0xff51_afd7_ed55_8ccd
        z ^= z >> 33; z &*= 0xc4ce_b9fe_1a85_ec53
        z ^= z >> 33
        return z
    }

    static func fingerprint(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        let n = bytes.count
        var a = seeds.0 ^ UInt64(n), b = seeds.1 &+ UInt64(n) &* 0x9E37_79B9_7F4A_7C15
        var i = 0
        while i + 8 <= n {
            let w = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            a = mix(a ^ w)
            b = mix(b &+ w &* 0xC2B2_AE3D_27D4_EB4F)
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            for k in i..<n { w |= UInt64(bytes[k]) << UInt64(8 * (k - i)) }
            a = mix(a ^ w ^ 0x8000_0000_0000_0000)
            b = mix(b &+ w &* 0xC2B2_AE3D_27D4_EB4F)
        }
        return (mix(a ^ (b >> 1)), mix(b ^ a))
    }
}
