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

    /// Changes the row at `key`, starting from an empty row when there is none.
    @inline(__always)
    public func update(_ text: String, _ body: (inout Row) -> Void) {
        let key = RowKey(text)
        cachedAll = nil
        if loader != nil {
            if values[key] == nil { _ = self[key] }
            changed.insert(key)
            absent.remove(key)
        }
        body(&values[key, default: Row()])
    }

    public func remove(_ text: String) {
        let key = RowKey(text)
        cachedAll = nil
        _ = self[key]
        values[key] = nil
        if loader != nil { changed.insert(key); absent.insert(key) }
    }

    private var cachedAll: [String: Row]?

    /// Every row in memory, by key. For a store-backed table, call `loadAll` first.
    public var all: [String: Row] {
        if let cachedAll { return cachedAll }
        var out: [String: Row] = [:]
        out.reserveCapacity(values.count)
        for (k, v) in values { out[k.text] = v }
        cachedAll = out
        return out
    }

    func replaceAll(_ rows: [String: Row]) {
        values = [:]
        values.reserveCapacity(rows.count)
        for (k, v) in rows { values[RowKey(k)] = v }
        cachedAll = rows
        absent = []
        changed = []
    }

    /// The rows a fold changed, as (key, bytes or nil for removed), sorted by key.
    func changes() -> [(key: String, value: [UInt8]?)] {
        let keys = loader == nil ? Array(values.keys) : Array(changed)
        return keys.sorted { $0.text < $1.text }.map { ($0.text, values[$0]?.encoded) }
    }

    func markClean() { changed = [] }
}

/// The engine's view of a table, whatever its row type.
public protocol RowTable: AnyObject {
    var name: String { get }
    func encodedChanges() -> [(key: String, value: [UInt8]?)]
    func attach(loader: ((String) throws -> [UInt8]?)?)
    func loadAll(_ rows: [(String, UnsafeRawBufferPointer)]) throws
    func clear()
    func describe(_ bytes: UnsafeRawBufferPointer) -> String
    var loadFailure: Error? { get }
    func contains(_ key: String) -> Bool
    func removeRow(_ key: String)
}

extension Rows: RowTable {
    public func encodedChanges() -> [(key: String, value: [UInt8]?)] { changes() }

    public func attach(loader: ((String) throws -> [UInt8]?)?) {
        values = [:]
        absent = []
        changed = []
        failure = nil
        cachedAll = nil
        self.loader = loader.map { load in
            { key in try load(key).map { try $0.withUnsafeBytes { try Row.decode($0) } } }
        }
    }

    public func loadAll(_ rows: [(String, UnsafeRawBufferPointer)]) throws {
        var all: [String: Row] = [:]
        all.reserveCapacity(rows.count)
        for (key, bytes) in rows { all[key] = try Row.decode(bytes) }
        replaceAll(all)
    }

    public func clear() {
        cachedAll = nil
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

/// A row key with a 128-bit fingerprint of its text, computed once: two SipHash values under
/// this process's random seed, each salted differently. Keys compare by fingerprint alone, so
/// a dictionary probe never reaches into the key strings' storage (a cache miss per event when
/// keys such as `referral-2025-000042` are compared byte by byte). Two different keys share a
/// fingerprint with odds of about 2^-128 per pair, and the seed keeps anyone from arranging it.
struct RowKey: Hashable {
    let first: Int
    let second: Int
    let text: String

    init(_ text: String) {
        var a = Hasher(), b = Hasher()
        a.combine(0x5EED_0001 as UInt32)
        b.combine(0x5EED_0002 as UInt32)
        a.combine(text)
        b.combine(text)
        first = a.finalize()
        second = b.finalize()
        self.text = text
    }

    static func == (a: RowKey, b: RowKey) -> Bool { a.first == b.first && a.second == b.second }

    func hash(into hasher: inout Hasher) { hasher.combine(first) }
}
