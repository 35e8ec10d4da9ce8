import LMDB
import JSON
#if canImport(Glibc)
import Glibc
#endif

// What the indexes should hold, gathered from the log during verify's pass over it; see
// IndexCheck.swift for how they are compared with what the indexes hold.

/// Order-independent digests of the entries the indexes should hold.
struct IndexDigests {
    struct Digest: Equatable {
        var sum: UInt64 = 0
        var count = 0
        mutating func add(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
            var hasher = Hasher()
            hasher.combine(bytes: key)
            hasher.combine(0xFF as UInt8)
            hasher.combine(bytes: value)
            sum &+= UInt64(bitPattern: Int64(hasher.finalize()))
            count += 1
        }
        mutating func add(_ key: UnsafeRawBufferPointer, _ first: UInt64, _ second: UInt64) {
            withUnsafeBytes(of: (first.bigEndian, second.bigEndian)) { add(key, $0) }
        }
        mutating func add(_ key: UnsafeRawBufferPointer, _ value: UInt64) {
            withUnsafeBytes(of: value.bigEndian) { add(key, $0) }
        }
    }

    var ids = Digest(), types = Digest(), days = Digest()
    /// (resident, stream) for every stream, other than a resident's own, whose first event names
    /// a resident in its public data; and how many first events keep `resident_id` sealed, which
    /// verify cannot read (no catalogue shipped does so: `resident_id` is pseudonymous, P).
    var residentStreams = Digest()
    var sealedResidents = 0
    let parser = JSONParser()
    /// Every event as (stream, version, position), and the references to events that the
    /// links name (the heads' are added when the heads are read).
    var events = Digest(), references = Digest()

    /// Adds what the record at `position` should have in the indexes, without allocating: the
    /// hot loop of verify. `link` is the position its stream link names.
    mutating func add(record: RecordView, position: UInt64, link: UInt64) throws {
        let stream = record.streamBytes
        let version = record.streamVersion
        if version <= 1 {
            guard link == 0 else {
                throw LedgerError(.integrity, "position \(position): the stream index links the first event of \(record.stream) to position \(link)")
            }
        } else {
            guard link > 0 && link < position else {
                throw LedgerError(.integrity, "position \(position): the stream index links it to position \(link), not to an earlier event")
            }
            references.add(stream, version - 1, link)
        }
        if Keys.addsResidentStream(streamVersion: version, stream: stream) {
            if let resident = try IndexDigests.resident(of: record, parser: parser) {
                resident.withUnsafeBytes { residentStreams.add($0, stream) }
            } else if record.isSealed, (try? SealedSection(record.personal))?.fields.contains("resident_id") == true {
                sealedResidents += 1
            }
        }
        events.add(stream, version, position)
        ids.add(record.id, position)
        types.add(record.typeBytes, position)
        withUnsafeBytes(of: Keys.dayBits(record.occurredAt).bigEndian) { days.add($0, position) }
    }
}

extension IndexDigests {
    /// The `resident_id` of a record's public data, as the writer read it (a string member of
    /// the data object). Parsed only when the name appears in the bytes: most events have none.
    static func resident(of record: RecordView, parser: JSONParser) throws -> [UInt8]? {
        let data = record.data
        guard contains(data, residentField) else { return nil }
        return try parser.parse(data) { root in root["resident_id"].flatMap { $0.kind == .string ? Array($0.stringBytes) : nil } }
    }

    private static let residentField = Array("\"resident_id\"".utf8)

    private static func contains(_ bytes: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard bytes.count >= needle.count else { return false }
        return needle.withUnsafeBytes { n in
            for i in 0...(bytes.count - n.count) where bytes[i] == n[0] {
                if memcmp(bytes.baseAddress! + i, n.baseAddress!, n.count) == 0 { return true }
            }
            return false
        }
    }
}

/// Steps through the stream links in step with verify's pass over the log.
struct LinkReader {
    let cursor: ReadCursor
    private var entry: Cursor.Entry?

    init(_ cursor: ReadCursor) throws {
        self.cursor = cursor
        entry = try cursor.first()
    }

    /// The link of `position`, which must be the next one stored.
    mutating func next(_ position: UInt64) throws -> UInt64 {
        guard let e = entry, e.key.count == 8, Keys.readU64(e.key) == position, e.value.count == 8 else {
            throw LedgerError(.integrity, "position \(position): its link in the stream index is missing or malformed")
        }
        entry = try cursor.next()
        return Keys.readU64(e.value)
    }

    func checkNoneBeyond(_ size: UInt64) throws {
        if let e = entry {
            throw LedgerError(.integrity, "the stream index links position \(e.key.count == 8 ? Keys.readU64(e.key) : 0), beyond the \(size) events in the log")
        }
    }
}
