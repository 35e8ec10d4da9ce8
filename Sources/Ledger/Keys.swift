import JSON
import LMDB
#if canImport(Glibc)
import Glibc
import TextFormats
#endif

/// Big-endian keys, so that LMDB's byte order is numeric order and appends can use MDB_APPEND.
/// The keys of the `meta` database, named once (Schemas/RECORD-FORMAT.md lists them).
enum MetaKey {
    /// The ledger format's version number, as decimal text.
    static let format = Array("format".utf8)
    /// The number of the catalogue in force (u32), a key of the `catalogues` database.
    static let catalogue = Array("catalogue".utf8)
    /// The verifier key (C2SP vkey text) of the last checkpoint's signer, which bundles carry.
    static let checkpointVerifier = Array("checkpoint.verifier".utf8)
}

enum Keys {
    static func u64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    static func u64(_ value: Int64) -> [UInt8] { u64(UInt64(bitPattern: value)) }
    static func u32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    static func readU64(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) -> UInt64 {
        UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    static func readU32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(as: UInt32.self))
    }

    /// The occurred-at day index key: days since 1970 with the sign bit flipped, so that days
    /// before 1970 still sort first.
    static func day(_ micros: Int64) -> [UInt8] { u32(dayBits(micros)) }

    /// The day key's value before it is written big-endian.
    static func dayBits(_ micros: Int64) -> UInt32 {
        UInt32(bitPattern: Int32(truncatingIfNeeded: Calendar.day(ofMicros: micros))) ^ 0x8000_0000
    }
    static func dayNumber(_ key: UnsafeRawBufferPointer) -> Int {
        Int(Int32(bitPattern: readU32(key) ^ 0x8000_0000))
    }
    static func dayKey(_ day: Int) -> [UInt8] { u32(UInt32(bitPattern: Int32(day)) ^ 0x8000_0000) }

    /// Whether an event about a resident adds a resident-streams entry: when it is the first
    /// event of a stream other than the resident's own. The writer and `verify` both ask.
    static func addsResidentStream(streamVersion: UInt64, stream: UnsafeRawBufferPointer) -> Bool {
        streamVersion == 1 && !stream.starts(with: DataKeyId.residentStreamPrefix)
    }

    /// A resident-streams entry's value: resident ‖ 0x00 ‖ stream (its key is a sequence number).
    static func appendResidentStream(resident: some Collection<UInt8>, stream: UnsafeRawBufferPointer, to value: inout [UInt8]) {
        value.append(contentsOf: resident)
        value.append(0)
        value.append(contentsOf: stream)
    }

    /// Whether `bytes` are `known`'s bytes: lengths first, then one memcmp (the generic
    /// element-wise comparison is several times slower, in loops run for every event).
    static func equal(_ known: [UInt8], _ bytes: UnsafeRawBufferPointer) -> Bool {
        known.count == bytes.count && (known.isEmpty || known.withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 })
    }

    /// The byte order of `known` against `bytes` (LMDB's key order): negative, zero or positive.
    static func compare(_ known: [UInt8], _ bytes: UnsafeRawBufferPointer) -> Int {
        let common = min(known.count, bytes.count)
        let order = common == 0 ? 0 : known.withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress!, common) }
        return order != 0 ? Int(order) : known.count - bytes.count
    }

    /// The streams, other than the resident's own, whose events named `resident`. The index is
    /// written in the order streams start, not by resident (see RECORD-FORMAT.md), so this reads
    /// all of it: it serves erasures, access reports and resident audits, which are rare, while
    /// every import writes it.
    static func residentStreams(_ resident: String, txn: Transaction, db: Database) throws -> [[UInt8]] {
        let prefix = Array(resident.utf8) + [0]
        let cursor = try txn.cursor(db)
        var out: [[UInt8]] = []
        try cursor.forEach { e in
            if e.value.starts(with: prefix) { out.append(Array(e.value[prefix.count...])) }
            return true
        }
        return out
    }

    /// The name of a lifecycle instance's state in its stream's head: lifecycle ‖ 0x00 ‖ instance
    /// (an instance's fields joined by 0x1F). Format 3 kept these in a `states` database.
    static func instanceState(lifecycle: String, instance: String) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(lifecycle.utf8.count + instance.utf8.count + 1)
        key.append(contentsOf: lifecycle.utf8)
        key.append(0)
        key.append(contentsOf: instance.utf8)
        return key
    }

    /// A head's entry names and states are each stored after a one-byte length.
    static let maxHeadEntryName = 255
}
