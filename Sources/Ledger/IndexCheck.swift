import LMDB

// How `verify` checks the indexes against the log, in sequential reads only.
//
// Each index is compared as a multiset digest: an order-independent sum of entry hashes,
// computed once from the log (during verify's pass over it) and once from the index. Only on
// a mismatch does a slower pass look entries up one by one to name the first wrong position.
//
// The stream index (a head per stream, a link per position; see `StreamIndex`) is checked by
// telescoping: every event (stream, version v, position p) must be referenced exactly once,
// by the link of the stream's event v+1 or, for the last one, by the stream's head. So the
// digest of all events equals the digest of {(stream of p, version of p - 1, link of p)} for
// every p past a stream's first event, plus {(stream, head version, head position)}.

extension Ledger {
    func checkIndexes(_ snapshot: LedgerSnapshot, expected: IndexDigests, size: UInt64) throws {
        let txn = snapshot.txn
        var ids = IndexDigests.Digest()
        try each(txn, db.ids) { ids.add($0, $1) }
        if ids != expected.ids {
            try locateIdFault(snapshot, size: size)
            throw LedgerError(.integrity, "the ids index holds entries that no event in the log accounts for")
        }

        var references = expected.references
        try db.streams.forEach(txn) { stream, head in
            references.add(stream, UnsafeRawBufferPointer(rebasing: head.bytes[0..<16]))
            return true
        }
        if references != expected.events {
            try locateStreamFault(snapshot)
            throw LedgerError(.integrity, "the stream index holds entries that no event in the log accounts for")
        }

        try checkResidentStreams(snapshot, expected: expected)

        for (database, digest) in [(db.types, expected.types), (db.days, expected.days)] {
            var found = IndexDigests.Digest()
            try each(txn, database) { key, value in
                guard let term = PostingBlocks.term(ofKey: key), value.count % 8 == 0, !value.isEmpty,
                      Keys.readU64(key, at: key.count - 8) == Keys.readU64(value) else {
                    throw LedgerError(.integrity, "the \(database.name) index holds a malformed block")
                }
                var previous: UInt64 = 0
                for offset in stride(from: 0, to: value.count, by: 8) {
                    let position = Keys.readU64(value, at: offset)
                    guard position > previous else {
                        throw LedgerError(.integrity, "position \(position): out of order in a block of the \(database.name) index")
                    }
                    previous = position
                    found.add(term, position)
                }
            }
            if found != digest {
                try locateBlockFault(snapshot, database: database)
                throw LedgerError(.integrity, "the \(database.name) index holds entries that no event in the log accounts for")
            }
        }
    }

    /// The resident-streams index: numbered 1, 2, … without a gap, each entry resident ‖ 0x00 ‖
    /// stream, and as a whole the entries the log accounts for. Entries for first events whose
    /// `resident_id` is sealed cannot be derived here: with any such event, only the entries that
    /// the log accounts for are checked to be there, and the rest counted.
    private func checkResidentStreams(_ snapshot: LedgerSnapshot, expected: IndexDigests) throws {
        var found = IndexDigests.Digest()
        var number: UInt64 = 0
        try each(snapshot.txn, db.residentStreams) { key, value in
            number += 1
            guard key.count == 8, let zero = value.firstIndex(of: 0) else {
                throw LedgerError(.integrity, "the resident-streams index holds a malformed entry where entry \(number) belongs")
            }
            guard Keys.readU64(key) == number else {
                throw LedgerError(.integrity, "the resident-streams index holds entry \(Keys.readU64(key)) where entry \(number) belongs")
            }
            found.add(UnsafeRawBufferPointer(rebasing: value[..<zero]), UnsafeRawBufferPointer(rebasing: value[(zero + 1)...]))
        }
        let exact = expected.sealedResidents == 0
        if exact ? found != expected.residentStreams : found.count > expected.residentStreams.count + expected.sealedResidents {
            try locateResidentStreamFault(snapshot, expected: expected)
            throw LedgerError(.integrity, "the resident-streams index holds entries that no event in the log accounts for")
        }
        if !exact { try locateResidentStreamFault(snapshot, expected: expected) }
    }

    /// Names the first event whose entry is missing, else an entry no event accounts for.
    private func locateResidentStreamFault(_ snapshot: LedgerSnapshot, expected: IndexDigests) throws {
        var entries: [[UInt8]: [UInt64]] = [:]
        try each(snapshot.txn, db.residentStreams) { key, value in entries[Array(value), default: []].append(Keys.readU64(key)) }
        try snapshot.scan { position, record in
            let stream = record.streamBytes
            guard Keys.addsResidentStream(streamVersion: record.streamVersion, stream: stream),
                  let resident = try IndexDigests.resident(of: record, parser: expected.parser) else { return true }
            var entry: [UInt8] = []
            Keys.appendResidentStream(resident: resident, stream: stream, to: &entry)
            guard var numbers = entries[entry], !numbers.isEmpty else {
                throw LedgerError(.integrity, "position \(position): its entry in the resident-streams index (resident \(String(decoding: resident, as: UTF8.self))) is missing")
            }
            numbers.removeFirst()
            entries[entry] = numbers.isEmpty ? nil : numbers
            return true
        }
        guard expected.sealedResidents == 0, let (entry, numbers) = entries.min(by: { $0.value[0] < $1.value[0] }) else { return }
        let text = String(decoding: entry.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        throw LedgerError(.integrity, "the resident-streams index entry \(numbers[0]) (\(text)) is not accounted for by the first event of that stream")
    }

    private func each(_ txn: Transaction, _ database: Database,
                      _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws {
        let cursor = try txn.cursor(database)
        try cursor.forEach { e in
            try body(e.key, e.value)
            return true
        }
    }

    private func locateIdFault(_ snapshot: LedgerSnapshot, size: UInt64) throws {
        let txn = snapshot.txn
        try snapshot.scan { position, record in
            guard let stored = try txn.get(db.ids, record.id), stored.count == 8, Keys.readU64(stored) == position else {
                throw LedgerError(.integrity, "position \(position): its entry in the ids index is missing or wrong")
            }
            return true
        }
        try each(txn, db.ids) { key, value in
            let position = value.count == 8 ? Keys.readU64(value) : 0
            guard position >= 1, position <= size, let record = try snapshot.record(at: position), record.id.elementsEqual(key) else {
                throw LedgerError(.integrity, "position \(position): the ids index has an entry for it that the event does not match")
            }
        }
    }

    /// Links that do not name the stream's previous event, heads that do not name its last.
    private func locateStreamFault(_ snapshot: LedgerSnapshot) throws {
        let txn = snapshot.txn
        try snapshot.scan { position, record in
            let version = record.streamVersion
            if version > 1 {
                let link = try db.streamLinks.get(txn, position) ?? 0
                guard let previous = try snapshot.record(at: link), previous.streamBytes.elementsEqual(record.streamBytes),
                      previous.streamVersion == version - 1 else {
                    throw LedgerError(.integrity, "position \(position): the stream index links it to position \(link), which is not event \(version - 1) of \(record.stream)")
                }
            }
            guard let head = try db.streams.get(txn, record.streamBytes), head.version >= version else {
                throw LedgerError(.integrity, "position \(position): the streams index has no head for \(record.stream) at version \(version) or later")
            }
            return true
        }
        try db.streams.forEach(txn) { key, head in
            guard let last = try snapshot.record(at: head.last), last.streamBytes.elementsEqual(key), last.streamVersion == head.version else {
                throw LedgerError(.integrity, "position \(head.last): the streams index names it as event \(head.version) of \(String(decoding: key, as: UTF8.self)), which it is not")
            }
            return true
        }
    }

    /// Walks the log and every term's positions side by side: the next position a term lists
    /// must be the next event that has that term.
    private func locateBlockFault(_ snapshot: LedgerSnapshot, database: Database) throws {
        let txn = snapshot.txn
        var terms: [[UInt8]: TermWalker] = [:]
        try each(txn, database) { key, _ in
            if let term = PostingBlocks.term(ofKey: key), terms[Array(term)] == nil {
                terms[Array(term)] = try TermWalker(prefix: PostingBlocks.prefix(term), cursor: txn.cursor(database))
            }
        }
        let name = database.name
        try snapshot.scan { position, record in
            let term = name == "types" ? Array(record.typeBytes) : Keys.day(record.occurredAt)
            guard let listed = try terms[term]?.next(), listed <= position else {
                throw LedgerError(.integrity, "position \(position): its entry in the \(name) index is missing")
            }
            guard listed == position else {
                throw LedgerError(.integrity, "position \(listed): the \(name) index lists it under a \(name == "types" ? "type" : "day") that is not the event's")
            }
            return true
        }
        for walker in terms.values {
            if let extra = try walker.next() {
                throw LedgerError(.integrity, "position \(extra): the \(name) index lists it under a \(name == "types" ? "type" : "day") that is not the event's")
            }
        }
    }
}

/// One term's positions, read block by block.
private final class TermWalker {
    let prefix: [UInt8]
    let cursor: ReadCursor
    var block: UnsafeRawBufferPointer?
    var offset = 0

    init(prefix: [UInt8], cursor: ReadCursor) throws {
        self.prefix = prefix
        self.cursor = cursor
        block = try cursor.seek(prefix).flatMap { PostingBlocks.isBlock($0.key, of: prefix) ? $0.value : nil }
    }

    func next() throws -> UInt64? {
        while let b = block {
            if offset + 8 <= b.count {
                defer { offset += 8 }
                return Keys.readU64(b, at: offset)
            }
            offset = 0
            block = try cursor.next().flatMap { PostingBlocks.isBlock($0.key, of: prefix) ? $0.value : nil }
        }
        return nil
    }
}
