import LMDB

/// The stream index, in two databases that an append touches once each:
///
/// - `streams`: stream id -> its head, 16 bytes: the stream's version (its number of events)
///   and the position of its last event, both u64 big-endian;
/// - `stream_links`: position -> the position of the previous event of the same stream (u64
///   big-endian; 0 for a stream's first event).
///
/// Why a chain and not one entry per (stream, version): the links are keyed by position, so
/// every append writes them at the right edge, like the log; only the head is written at a
/// scattered key, in place. A stream's history is read backwards from its head, one lookup per
/// event; streams are short (a referral has a handful of events) and read one at a time.
enum StreamIndex {
    struct Head {
        let version: UInt64
        let last: UInt64

        init(_ value: UnsafeRawBufferPointer) {
            version = Keys.readU64(value)
            last = Keys.readU64(value, at: 8)
        }
    }

    /// A stream's events as (stream version, position), oldest first.
    static func positions(of stream: [UInt8], txn: Transaction, db: Ledger.Databases) throws -> [(version: UInt64, position: UInt64)] {
        guard let value = try txn.get(db.streams, stream) else { return [] }
        let head = Head(value)
        var out: [(UInt64, UInt64)] = []
        out.reserveCapacity(Int(min(head.version, 1 << 20)))
        var position = head.last
        var version = head.version
        while version > 0 {
            // A cycle or a gap here is a damaged index; verify names where.
            guard position > 0, let link = try txn.get(db.streamLinks, Keys.u64(position)), link.count == 8,
                  out.count < Int(head.version) else {
                throw LedgerError(.integrity, "the stream index of \(String(decoding: stream, as: UTF8.self)) is broken at position \(position) (run `buurtboek verify`)")
            }
            out.append((version, position))
            position = Keys.readU64(link)
            version -= 1
        }
        guard position == 0 else {
            throw LedgerError(.integrity, "the stream index of \(String(decoding: stream, as: UTF8.self)) links its first event to position \(position) (run `buurtboek verify`)")
        }
        return out.reversed()
    }
}
