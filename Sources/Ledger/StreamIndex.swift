import LMDB

/// The stream index, in two databases that an append touches once each:
///
/// - `streams`: stream id -> its head: the stream's version (its number of events) and the
///   position of its last event, both u64 big-endian, then the states of the stream's lifecycles,
///   each as u8 length ‖ entry name ‖ u8 length ‖ state, sorted by name. The entry name is the
///   lifecycle's, or for a lifecycle with instances lifecycle ‖ 0x00 ‖ instance;
/// - `stream_links`: position -> the position of the previous event of the same stream (u64
///   big-endian; 0 for a stream's first event).
///
/// Why a chain and not one entry per (stream, version): the links are keyed by position, so
/// every append writes them at the right edge, like the log; only the head is written at a
/// scattered key, in place. A stream's history is read backwards from its head, one lookup per
/// event; streams are short (a referral has a handful of events) and read one at a time.
enum StreamIndex {
    /// A stored head, read in place: a view of the value's bytes, valid as long as they are
    /// (in a write transaction, until its next write). The writer reads a head once per event
    /// and writes the next from it, so nothing of it is copied.
    struct Head {
        let version: UInt64
        let last: UInt64
        /// The lifecycle states as stored: (u8 n, lifecycle, u8 m, state)*, sorted by lifecycle.
        let stateBytes: UnsafeRawBufferPointer
        /// The whole stored value.
        let bytes: UnsafeRawBufferPointer

        init(_ value: UnsafeRawBufferPointer) throws {
            guard value.count >= 16 else { throw LedgerError(.integrity, "a stream head of \(value.count) bytes (run `buurtboek verify`)") }
            bytes = value
            version = Keys.readU64(value)
            last = Keys.readU64(value, at: 8)
            stateBytes = UnsafeRawBufferPointer(rebasing: value[16...])
            guard Head.walk(stateBytes, { _, _ in true }) else {
                throw LedgerError(.integrity, "a stream head with malformed lifecycle states (run `buurtboek verify`)")
            }
        }

        /// Visits the (lifecycle, state) ranges of `bytes` in order while `body` returns true;
        /// false when the bytes do not parse. The one reader of the layout.
        private static func walk(_ bytes: UnsafeRawBufferPointer, _ body: (Range<Int>, Range<Int>) -> Bool) -> Bool {
            var at = 0
            while at < bytes.count {
                let stateAt = at + 1 + Int(bytes[at])
                guard stateAt < bytes.count, stateAt + 1 + Int(bytes[stateAt]) <= bytes.count else { return false }
                let end = stateAt + 1 + Int(bytes[stateAt])
                guard body((at + 1)..<stateAt, (stateAt + 1)..<end) else { return true }
                at = end
            }
            return true
        }

        /// (entry name, state) of every lifecycle state, sorted by entry name (copies).
        var states: [(lifecycle: [UInt8], state: [UInt8])] {
            var out: [(lifecycle: [UInt8], state: [UInt8])] = []
            _ = Head.walk(stateBytes) { name, state in
                out.append((Array(stateBytes[name]), Array(stateBytes[state])))
                return true
            }
            return out
        }

        /// The state of `lifecycle`, in place.
        func state(of lifecycle: [UInt8]) -> UnsafeRawBufferPointer? {
            var found: UnsafeRawBufferPointer?
            _ = Head.walk(stateBytes) { name, state in
                guard stateBytes[name].elementsEqual(lifecycle) else { return true }
                found = UnsafeRawBufferPointer(rebasing: stateBytes[state])
                return false
            }
            return found
        }

        /// Encodes a head into `out` (cleared first, its capacity kept): `version`, `last`, and
        /// the states of `previous` with `changes` applied, kept sorted by lifecycle. `changes`
        /// must be sorted by lifecycle, each named once; an empty state is stored as such.
        static func encode(version: UInt64, last: UInt64, previous: UnsafeRawBufferPointer,
                           changes: [(lifecycle: [UInt8], state: [UInt8])], into out: inout [UInt8]) {
            out.removeAll(keepingCapacity: true)
            withUnsafeBytes(of: (version.bigEndian, last.bigEndian)) { out.append(contentsOf: $0) }
            var next = 0
            func appendChange() {
                let change = changes[next]
                out.append(UInt8(change.lifecycle.count))
                out.append(contentsOf: change.lifecycle)
                out.append(UInt8(change.state.count))
                out.append(contentsOf: change.state)
                next += 1
            }
            _ = Head.walk(previous) { name, value in
                while next < changes.count && changes[next].lifecycle.lexicographicallyPrecedes(previous[name]) { appendChange() }
                if next < changes.count && previous[name].elementsEqual(changes[next].lifecycle) {
                    appendChange()
                } else {
                    out.append(contentsOf: previous[(name.lowerBound - 1)..<value.upperBound])
                }
                return true
            }
            while next < changes.count { appendChange() }
        }
    }

    /// The `streams` database's values, read in place.
    enum HeadCodec: Codec {
        static func withBytes<R>(of head: Head, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try body(head.bytes) }
        static func decode(_ bytes: UnsafeRawBufferPointer) -> Head? { try? Head(bytes) }
        static var shape: String { "a stream head (u64 version, u64 last position, lifecycle states)" }
    }

    /// A stream's events as (stream version, position), oldest first.
    static func positions(of stream: [UInt8], txn: Transaction, db: Ledger.Databases) throws -> [(version: UInt64, position: UInt64)] {
        guard let head = try db.streams.get(txn, stream) else { return [] }
        var out: [(UInt64, UInt64)] = []
        out.reserveCapacity(Int(min(head.version, 1 << 20)))
        var position = head.last
        var version = head.version
        while version > 0 {
            // A cycle or a gap here is a damaged index; verify names where.
            guard position > 0, let link = try db.streamLinks.get(txn, position), out.count < Int(head.version) else {
                throw LedgerError(.integrity, "the stream index of \(String(decoding: stream, as: UTF8.self)) is broken at position \(position) (run `buurtboek verify`)")
            }
            out.append((version, position))
            position = link
            version -= 1
        }
        guard position == 0 else {
            throw LedgerError(.integrity, "the stream index of \(String(decoding: stream, as: UTF8.self)) links its first event to position \(position) (run `buurtboek verify`)")
        }
        return out.reversed()
    }
}
