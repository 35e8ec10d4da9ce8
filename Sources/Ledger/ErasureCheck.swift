import JSON
import LMDB

// How `verify` checks the erasure indexes, which the writer derives at append: `erased` holds
// each erased resident with the position of the event that erased them, and `erased_streams`
// every stream that then belonged to them (their own stream and each stream whose first event
// named them). The lifecycle replay notes the erasures, since it knows each event's type under
// the catalogue of its time. Erasures are rare, so they are kept as a list, not a digest, and
// compared one by one: a mismatch is named by resident and stream.

/// The erasures the log holds: (resident, position) of each event of a type that erases its
/// subject under the catalogue in force at its position, and how many name their resident only
/// in a sealed section.
struct Erasures {
    var found: [(resident: [UInt8], position: UInt64)] = []
    var unreadable = 0

    mutating func note(_ record: RecordView, position: UInt64, parser: JSONParser) throws {
        let stream = record.streamBytes
        if stream.starts(with: DataKeyId.residentStreamPrefix) {
            found.append((Array(stream[DataKeyId.residentStreamPrefix.count...]), position))
        } else if let resident = try IndexDigests.resident(of: record, parser: parser) {
            found.append((resident, position))
        } else {
            unreadable += 1
        }
    }
}

extension Ledger {
    func checkErasures(_ snapshot: LedgerSnapshot, found expected: Erasures) throws {
        let txn = snapshot.txn
        var stored: [[UInt8]: UInt64] = [:]
        // Read raw, so that a malformed entry gets verify's own message, naming the resident.
        let erased = try txn.cursor(db.erased.raw)
        try erased.forEach { e in
            guard e.value.count == 8 else {
                throw LedgerError(.integrity, "the erasures index holds a malformed entry for resident \(String(decoding: e.key, as: UTF8.self))")
            }
            stored[Array(e.key)] = Keys.readU64(e.value)
            return true
        }
        var unaccounted = stored
        for (resident, position) in expected.found {
            let name = String(decoding: resident, as: UTF8.self)
            guard let found = unaccounted.removeValue(forKey: resident) else {
                throw LedgerError(.integrity, "position \(position): it erased resident \(name), whom the erasures index does not hold")
            }
            guard found == position else {
                throw LedgerError(.integrity, "position \(position): it erased resident \(name), whom the erasures index has erased at position \(found)")
            }
        }
        if unaccounted.count > expected.unreadable, let (resident, position) = unaccounted.min(by: { $0.value < $1.value }) {
            throw LedgerError(.integrity, "the erasures index holds resident \(String(decoding: resident, as: UTF8.self)) (position \(position)), whom no event in the log erased")
        }
        try checkErasedStreams(txn, residents: stored)
    }

    /// `erased_streams` against the erased residents' streams: their own, and those the
    /// resident-streams index (already checked against the log) gives them.
    private func checkErasedStreams(_ txn: Transaction, residents: [[UInt8]: UInt64]) throws {
        var owner: [[UInt8]: [UInt8]] = [:]
        for resident in residents.keys { owner[DataKeyId.residentStreamPrefix + resident] = resident }
        if !residents.isEmpty {
            let index = try txn.cursor(db.residentStreams)
            try index.forEach { e in
                if let zero = e.value.firstIndex(of: 0) {
                    let resident = Array(e.value[..<zero])
                    if residents[resident] != nil { owner[Array(e.value[(zero + 1)...])] = resident }
                }
                return true
            }
        }
        let marked = try txn.cursor(db.erasedStreams)
        try marked.forEach { e in
            let stream = String(decoding: e.key, as: UTF8.self)
            guard e.value.elementsEqual([1]) else {
                throw LedgerError(.integrity, "the erased-streams index holds a malformed entry for stream \(stream)")
            }
            guard owner.removeValue(forKey: Array(e.key)) != nil else {
                throw LedgerError(.integrity, "the erased-streams index holds stream \(stream), which belongs to no erased resident")
            }
            return true
        }
        if let (stream, resident) = owner.min(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            throw LedgerError(.integrity, "stream \(String(decoding: stream, as: UTF8.self)) belongs to erased resident \(String(decoding: resident, as: UTF8.self)), but the erased-streams index does not hold it")
        }
    }
}
