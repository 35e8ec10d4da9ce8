import LMDB

/// The stream index, in two databases that an append touches once each:
///
/// - `streams`: stream id -> its head: the stream's version (its number of events) and the
///   position of its last event, both u64 big-endian, then the states of the stream's lifecycles
///   that have no instances, each as u8 length ‖ lifecycle name ‖ u8 length ‖ state, sorted by
///   name (a lifecycle with instances keeps them in `states`);
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
        /// The lifecycle states as stored: (u8 n, lifecycle, u8 m, state)*, sorted by lifecycle.
        /// Kept as one byte string: most heads are read and written back with the same states.
        private(set) var stateBytes: [UInt8]

        /// Copies what it needs: the stored bytes are valid only until the next write.
        init(_ value: UnsafeRawBufferPointer) throws {
            guard value.count >= 16 else { throw LedgerError(.integrity, "a stream head of \(value.count) bytes (run `buurtboek verify`)") }
            version = Keys.readU64(value)
            last = Keys.readU64(value, at: 8)
            stateBytes = value.count > 16 ? Array(value[16...]) : []
            guard Head.walk(stateBytes, { _, _ in true }) else {
                throw LedgerError(.integrity, "a stream head with malformed lifecycle states (run `buurtboek verify`)")
            }
        }

        init(version: UInt64, last: UInt64, stateBytes: [UInt8] = []) {
            self.version = version
            self.last = last
            self.stateBytes = stateBytes
        }

        /// Visits the (lifecycle, state) ranges of `bytes` in order while `body` returns true;
        /// false when the bytes do not parse. The one reader of the layout.
        private static func walk(_ bytes: [UInt8], _ body: (Range<Int>, Range<Int>) -> Bool) -> Bool {
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

        /// (lifecycle, state) of the lifecycles without instances, sorted by lifecycle.
        var states: [(lifecycle: [UInt8], state: [UInt8])] {
            var out: [(lifecycle: [UInt8], state: [UInt8])] = []
            _ = Head.walk(stateBytes) { name, state in
                out.append((Array(stateBytes[name]), Array(stateBytes[state])))
                return true
            }
            return out
        }

        /// Read in place: asked once per event of a stream with a lifecycle.
        func state(of lifecycle: [UInt8]) -> [UInt8]? {
            var found: [UInt8]?
            _ = Head.walk(stateBytes) { name, state in
                guard stateBytes[name].elementsEqual(lifecycle) else { return true }
                found = Array(stateBytes[state])
                return false
            }
            return found
        }

        /// Sets one lifecycle's state, keeping the entries sorted by lifecycle: one pass over
        /// the stored bytes into a new byte string.
        mutating func set(_ lifecycle: [UInt8], to state: [UInt8]) {
            var out: [UInt8] = []
            out.reserveCapacity(stateBytes.count + lifecycle.count + state.count + 2)
            func appendEntry() {
                out.append(UInt8(lifecycle.count))
                out.append(contentsOf: lifecycle)
                out.append(UInt8(state.count))
                out.append(contentsOf: state)
            }
            var placed = false
            _ = Head.walk(stateBytes) { name, value in
                let entry = (name.lowerBound - 1)..<value.upperBound
                if !placed && stateBytes[name].elementsEqual(lifecycle) {
                    appendEntry()
                    placed = true
                    return true
                }
                if !placed && lifecycle.lexicographicallyPrecedes(stateBytes[name]) {
                    appendEntry()
                    placed = true
                }
                out.append(contentsOf: stateBytes[entry])
                return true
            }
            if !placed { appendEntry() }
            stateBytes = out
        }

        /// The stored bytes, into `out` (cleared first, its capacity kept).
        func encode(into out: inout [UInt8]) {
            out.removeAll(keepingCapacity: true)
            withUnsafeBytes(of: (version.bigEndian, last.bigEndian)) { out.append(contentsOf: $0) }
            out.append(contentsOf: stateBytes)
        }
    }

    /// A stream's events as (stream version, position), oldest first.
    static func positions(of stream: [UInt8], txn: Transaction, db: Ledger.Databases) throws -> [(version: UInt64, position: UInt64)] {
        guard let value = try txn.get(db.streams, stream) else { return [] }
        let head = try Head(value)
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
