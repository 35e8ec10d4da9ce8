import Catalogue
import LMDB
import JSON
import Merkle
import TextFormats

/// The state of one append transaction: the log's size, the ledger's clock, the thread that
/// hashes the placed records into the tree, and the index entries still to be written. The
/// lifecycle moves are in BatchWriter+Lifecycle.swift, the erasure and resident indexes in
/// BatchWriter+Residents.swift.
struct BatchWriter {
    let ledger: Ledger
    let txn: WriteTransaction
    let db: Ledger.Databases
    /// The log's size as this transaction sees it; the tree over it is `hasher`'s.
    var size: Int64
    let hasher: TreeHasher
    var lastRecordedAt: Int64
    let now: Int64
    let firstPosition: UInt64
    /// The catalogue in force as this transaction sees it: the only one whose events it writes.
    let catalogueNumber: UInt32
    /// Cursors kept for the whole batch: a put through the cursor that just found its key (or
    /// wrote the id before, at the right edge of the time-ordered ids) starts from that page,
    /// and the log's, left at the end by the last append, appends without a descent.
    let log: Cursor
    let streams: Cursor
    let ids: Cursor
    let streamLinks: Cursor
    /// The type and day index entries still to be written.
    var pending = PendingIndexes()
    /// Whether anyone was ever erased: only then do events need the two erasure lookups.
    var anyErased: Bool
    /// The bytes of the head being written, the lifecycle states the event moves, and the ones
    /// of them the head holds: kept from event to event, to reuse their storage.
    var headBytes: [UInt8] = []
    var moves: [Move] = []
    var headChanges: [(lifecycle: [UInt8], state: [UInt8])] = []
    /// The resident-streams index is appended to (see RECORD-FORMAT.md): its cursor, opened at
    /// the first entry this transaction writes, the sequence number that entry takes, and the
    /// value being written (reused).
    var residentStreams: Cursor?
    var nextResidentStream: UInt64 = 0
    var residentStreamValue: [UInt8] = []
    /// The steps this transaction placed (see `StepTimes`), kept by the ledger once committed.
    var pendingSteps: [UInt64: StepTimes.Entry] = [:]

    init(ledger: Ledger, txn: WriteTransaction) throws {
        self.ledger = ledger
        self.txn = txn
        self.db = ledger.db
        let log = try txn.cursor(db.log)
        var size: UInt64 = 0
        var last: Int64 = 0
        if let entry = try log.last() {
            size = Keys.readU64(entry.key)
            last = try RecordView(entry.value).recordedAt
        }
        self.catalogueNumber = try txn.get(db.meta, MetaKey.catalogue).map(Keys.readU32) ?? 0
        self.size = Int64(size)
        self.hasher = try TreeHasher(frontier: try TreeFrontier(size: Int64(size), reader: TransactionHashReader(txn: txn, tree: db.tree)))
        self.lastRecordedAt = last
        self.now = Clock.nowMicros()
        self.firstPosition = size + 1
        self.log = log
        self.streams = try txn.cursor(db.streams.raw)
        self.ids = try txn.cursor(db.ids)
        self.streamLinks = try txn.cursor(db.streamLinks.raw)
        self.anyErased = try db.erased.count(txn) > 0
    }

    mutating func append(_ event: PreparedEvent) throws -> AppendOutcome {
        let position = UInt64(size) + 1
        // Claim the id first: one descent serves both the idempotency check and the insert.
        let claimed = try withUnsafeBytes(of: position.bigEndian) { positionBytes in
            try event.withId { try ids.insertIfAbsent($0, positionBytes).map { Keys.readU64($0) } }
        }
        if let existing = claimed {
            guard let bytes = try txn.get(db.log, Keys.u64(existing)) else {
                throw LedgerError.storage("the id index names position \(existing), which is not in the log (run `buurtboek verify`)")
            }
            guard try event.sameContent(as: try RecordView(bytes), sealer: ledger.sealer) else {
                throw LedgerError.refused("\(event.label): id \(UUIDText.format(event.id)) is already recorded at position \(existing) with different content; an event id names one event forever")
            }
            return .alreadyRecorded(position: existing)
        }
        do {
            return try place(event, position: position)
        } catch let error as LedgerError where error.kind == .refused || error.kind == .conflict {
            // Refused after the id was claimed: give it back, so the batch goes on without it.
            // (Any other error, LMDB's MAP_FULL above all, has spoilt the transaction: let it go up.)
            _ = try txn.delete(db.ids, event.id)
            throw error
        }
    }

    /// Checks the event against the ledger's state, then writes it: every check comes first,
    /// so a refusal leaves nothing but the claimed id, which `append` gives back.
    private mutating func place(_ event: PreparedEvent, position: UInt64) throws -> AppendOutcome {
        try event.withStreamKey { streamKey in try place(event, streamKey: streamKey, position: position) }
    }

    private mutating func place(_ event: PreparedEvent, streamKey: UnsafeRawBufferPointer, position: UInt64) throws -> AppendOutcome {
        try checkSubject(event, streamKey: streamKey)
        let (head, started) = try findOrStartHead(event, streamKey: streamKey, position: position)
        let current = head?.version ?? 0
        guard event.expected.admits(current) else {
            let actual = current == 0 ? "none (the stream does not exist)" : String(current)
            throw LedgerError(.conflict, "\(event.label): expected stream version \(event.expected), but the stream is at \(actual)")
        }
        if !started {
            try lifecycleMoves(event, head: head)
            if let head, event.restore == nil { try checkOrder(event, after: head.last, streamKey: streamKey) }
        }
        let placement = try self.placement(event, position: position, current: current)
        if !started {
            encodeHead(version: placement.streamVersion, last: position, previous: head?.stateBytes ?? UnsafeRawBufferPointer(start: nil, count: 0))
        }
        try write(event, streamKey: streamKey, position: position, placement: placement,
                  head: started ? .written : head == nil ? .new : .found, previousLast: head?.last ?? 0)
        hasher.add(placement.restoredLeaf.map { .leaf($0) } ?? .event(event, streamVersion: placement.streamVersion, recordedAt: placement.recordedAt))
        noteStep(event, streamKey: streamKey, position: position)
        size += 1
        if let resident = event.resident {
            if Keys.addsResidentStream(streamVersion: placement.streamVersion, stream: streamKey) {
                try addResidentStream(resident, streamKey)
            }
            if event.type.erasesSubject { try markErased(resident) }
        }
        lastRecordedAt = placement.recordedAt
        return .appended(position: position, streamVersion: placement.streamVersion)
    }

    /// The stream's head, or (when the event may start the stream) a new one offered to the
    /// index with one descent that also finds an existing head: most events of an import start
    /// a stream. `started` when it did; nothing after that insert can refuse the event. The head
    /// views the stored bytes: it is read, and the next head encoded from it, before anything
    /// is written.
    private mutating func findOrStartHead(_ event: PreparedEvent, streamKey: UnsafeRawBufferPointer,
                                          position: UInt64) throws -> (head: StreamIndex.Head?, started: Bool) {
        if event.restore == nil && event.expected.admits(0) && movesForNewStream(event) {
            encodeHead(version: 1, last: position, previous: UnsafeRawBufferPointer(start: nil, count: 0))
            let existing = try headBytes.withUnsafeBytes { try streams.insertIfAbsent(streamKey, $0) }
            guard let existing else { return (nil, true) }
            return (try StreamIndex.Head(existing), false)
        }
        return (try streams.find(streamKey).map { try StreamIndex.Head($0.value) }, false)
    }

    /// Where and when an event is placed: its stream version and recording time.
    struct Placement {
        var recordedAt: Int64
        var streamVersion: UInt64
        /// A restored event's leaf, checked against the export's; any other is hashed off this thread.
        var restoredLeaf: Hash?
    }

    /// The event's placement after the stream's `current` version; refuses a kept recording
    /// time before the log's last, and a restored event that does not land where it was exported.
    private func placement(_ event: PreparedEvent, position: UInt64, current: UInt64) throws -> Placement {
        var placement = Placement(recordedAt: max(now, lastRecordedAt), streamVersion: current + 1)
        if let given = event.givenRecordedAt {
            guard given >= lastRecordedAt else {
                throw LedgerError.refused("\(event.label): /recordedAt: \(RFC3339.format(given)) lies before the last recorded event's (\(RFC3339.format(lastRecordedAt))); recorded times never decrease along the log")
            }
            placement.recordedAt = given
        }
        guard let restore = event.restore else { return placement }
        guard restore.position == position else {
            throw LedgerError.refused("\(event.label): restoring position \(restore.position), but the next position here is \(position); restore an export into an empty ledger, in order")
        }
        guard restore.streamVersion == placement.streamVersion else {
            throw LedgerError.refused("\(event.label): restoring stream version \(restore.streamVersion), but the stream is at \(current)")
        }
        placement.recordedAt = restore.recordedAt
        if let expectedLeaf = restore.leafHash {
            let leaf = event.leafHash(streamVersion: placement.streamVersion, recordedAt: placement.recordedAt)
            guard expectedLeaf == leaf else {
                throw LedgerError.refused("\(event.label): the restored record's leaf hash is \(leaf.hex), not the exported \(expectedLeaf.hex); the export was altered or comes from another format")
            }
            placement.restoredLeaf = leaf
        }
        return placement
    }

    /// Where the stream's head stands when the event is written: already written (the event
    /// started the stream), found by the cursor, or new.
    private enum HeadWrite { case written, found, new }

    /// Writes the record, the stream's head and link, and notes the index entries: nothing here
    /// refuses, the checks are done.
    private mutating func write(_ event: PreparedEvent, streamKey: UnsafeRawBufferPointer, position: UInt64,
                                placement: Placement, head: HeadWrite, previousLast: UInt64) throws {
        try withUnsafeBytes(of: position.bigEndian) { positionBytes in
            // Written straight into its page: the record is the largest thing an event writes.
            try log.put(positionBytes, reserving: event.recordTemplate.count, options: .append) {
                event.writeRecord(into: $0, streamVersion: placement.streamVersion, recordedAt: placement.recordedAt)
            }
            // The stream's head moves to this event, which links back to the head's last one.
            // A head found above is overwritten where the cursor stands, without a descent.
            if head != .written {
                try headBytes.withUnsafeBytes { try streams.put(streamKey, $0, options: head == .found ? .current : []) }
            }
            try withUnsafeBytes(of: previousLast.bigEndian) { try streamLinks.put(positionBytes, $0, options: .append) }
            pending.add(event.type, occurredAt: event.occurredAt, position: positionBytes)
        }
    }

    /// Writes the tree hashes and the type and day index entries gathered so far.
    mutating func flushIndexes() throws {
        try TreeTiles.append(hasher.finish(), txn: txn, db: db.tree)
        try pending.flush(txn: txn, db: db)
    }

    /// Writes the batch's type and day index entries, and records which catalogue validated the
    /// events from this batch's first position on.
    mutating func finish() throws {
        try flushIndexes()
        guard size >= Int64(firstPosition) else { return }
        if try db.catalogueHistory.last(txn)?.value == catalogueNumber { return }
        try db.catalogueHistory.put(txn, firstPosition, catalogueNumber, options: .append)
    }
}
