import Catalogue
import LMDB
import JSON

/// The state of one append transaction: the log's size, the ledger's clock, the thread that
/// hashes the placed records into the tree, and the index entries still to be written.
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
    /// Cursors kept for the whole batch: a put through the cursor that just found its key (or
    /// wrote the id before, at the right edge of the time-ordered ids) starts from that page,
    /// and the log's, left at the end by the last append, appends without a descent.
    let log: Cursor
    let streams: Cursor
    let ids: Cursor
    let streamLinks: Cursor
    /// Positions per type and per day, appended to their index keys in one call each at the end:
    /// a batch has a few dozen types and days but thousands of events. Types by their ordinal;
    /// the day of the last events apart, since events mostly come in the order they occurred.
    var pendingTypes: [(name: String, positions: [UInt8])] = []
    var pendingDays: [UInt32: [UInt8]] = [:]
    var currentDay: UInt32 = 0
    var currentDayPositions: [UInt8] = []
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
        let current = try txn.get(db.meta, Array("catalogue".utf8)).map(Keys.readU32) ?? 0
        guard current == ledger.catalogueNumber else {
            throw LedgerError(.conflict, "the catalogue was updated (to number \(current)) while this command ran; run it again")
        }
        self.size = Int64(size)
        self.hasher = TreeHasher(frontier: try TreeFrontier(size: Int64(size), reader: TransactionHashReader(txn: txn, tree: db.tree)))
        self.lastRecordedAt = last
        self.now = Clock.nowMicros()
        self.firstPosition = size + 1
        self.log = log
        self.streams = try txn.cursor(db.streams)
        self.ids = try txn.cursor(db.ids)
        self.streamLinks = try txn.cursor(db.streamLinks)
        self.anyErased = try txn.count(db.erased) > 0
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
        // Most events of an import start a stream. When this one may, the new head is offered
        // to the index with one descent that also finds an existing head; then (the cursor on
        // it) the event takes the usual path. Nothing after this insert can refuse the event.
        // `head` views the stored bytes: it is read, and the next head encoded from it, before
        // anything is written.
        var head: StreamIndex.Head?
        var started = false
        if event.restore == nil && event.expected.admits(0) && movesForNewStream(event) {
            encodeHead(version: 1, last: position, previous: UnsafeRawBufferPointer(start: nil, count: 0))
            let existing = try headBytes.withUnsafeBytes { try streams.insertIfAbsent(streamKey, $0) }
            if let existing { head = try StreamIndex.Head(existing) } else { started = true }
        } else {
            head = try streams.find(streamKey).map { try StreamIndex.Head($0.value) }
        }
        let current = head?.version ?? 0
        guard event.expected.admits(current) else {
            let actual = current == 0 ? "none (the stream does not exist)" : String(current)
            throw LedgerError(.conflict, "\(event.label): expected stream version \(event.expected), but the stream is at \(actual)")
        }
        if !started { try lifecycleMoves(event, head: head) }

        var recordedAt = max(now, lastRecordedAt)
        if let given = event.givenRecordedAt {
            guard given >= lastRecordedAt else {
                throw LedgerError.refused("\(event.label): /recordedAt: \(RFC3339.format(given)) lies before the last recorded event's (\(RFC3339.format(lastRecordedAt))); recorded times never decrease along the log")
            }
            recordedAt = given
        }
        var streamVersion = current + 1
        if let restore = event.restore {
            guard restore.position == position else {
                throw LedgerError.refused("\(event.label): restoring position \(restore.position), but the next position here is \(position); restore an export into an empty ledger, in order")
            }
            guard restore.streamVersion == streamVersion else {
                throw LedgerError.refused("\(event.label): restoring stream version \(restore.streamVersion), but the stream is at \(current)")
            }
            recordedAt = restore.recordedAt
            streamVersion = restore.streamVersion
        }
        // A restored event is checked against its exported leaf before anything is written;
        // any other is hashed into the tree off this thread.
        var restoredLeaf: Hash?
        if let expectedLeaf = event.restore?.leafHash {
            let leaf = event.leafHash(streamVersion: streamVersion, recordedAt: recordedAt)
            guard expectedLeaf == leaf else {
                throw LedgerError.refused("\(event.label): the restored record's leaf hash is \(leaf.hex), not the exported \(expectedLeaf.hex); the export was altered or comes from another format")
            }
            restoredLeaf = leaf
        }
        if !started { encodeHead(version: streamVersion, last: position, previous: head?.stateBytes ?? UnsafeRawBufferPointer(start: nil, count: 0)) }
        let previousLast = head?.last ?? 0
        let headExisted = head != nil

        try withUnsafeBytes(of: position.bigEndian) { positionBytes in
            // Written straight into its page: the record is the largest thing an event writes.
            try log.put(positionBytes, reserving: event.recordTemplate.count, options: .append) {
                event.writeRecord(into: $0, streamVersion: streamVersion, recordedAt: recordedAt)
            }
            // The stream's head moves to this event, which links back to the head's last one.
            // A head found above is overwritten where the cursor stands, without a descent.
            if !started {
                try headBytes.withUnsafeBytes { try streams.put(streamKey, $0, options: headExisted ? .current : []) }
            }
            try withUnsafeBytes(of: previousLast.bigEndian) { try streamLinks.put(positionBytes, $0, options: .append) }
            // The type and day indexes are written per key at the end of the batch.
            addToTypeIndex(event.type, positionBytes)
            let day = Keys.dayBits(event.occurredAt)
            if day != currentDay { setCurrentDay(day) }
            currentDayPositions.append(contentsOf: positionBytes)
        }
        hasher.add(restoredLeaf.map { .leaf($0) } ?? .event(event, streamVersion: streamVersion, recordedAt: recordedAt))
        size += 1
        if let resident = event.resident {
            if Keys.addsResidentStream(streamVersion: streamVersion, stream: streamKey) {
                try addResidentStream(resident, streamKey)
            }
            if event.type.erasesSubject { try markErased(resident) }
        }
        lastRecordedAt = recordedAt
        return .appended(position: position, streamVersion: streamVersion)
    }

    private mutating func addToTypeIndex(_ type: EventType, _ position: UnsafeRawBufferPointer) {
        let ordinal = type.ordinal
        while pendingTypes.count <= ordinal { pendingTypes.append(("", [])) }
        if pendingTypes[ordinal].positions.isEmpty { pendingTypes[ordinal].name = type.name }
        pendingTypes[ordinal].positions.append(contentsOf: position)
    }

    /// Puts the current day's positions with the others of that day, and starts `day`'s.
    private mutating func setCurrentDay(_ day: UInt32) {
        if !currentDayPositions.isEmpty {
            pendingDays[currentDay, default: []].append(contentsOf: currentDayPositions)
            currentDayPositions.removeAll(keepingCapacity: true)
        }
        currentDay = day
    }

    /// The stream's new head, into `headBytes`: the `previous` head's states with the moves of
    /// the lifecycles it holds applied.
    private mutating func encodeHead(version: UInt64, last: UInt64, previous: UnsafeRawBufferPointer) {
        headChanges.removeAll(keepingCapacity: true)
        for move in moves { headChanges.append((move.key, move.state)) }
        if headChanges.count > 1 { headChanges.sort { $0.lifecycle.lexicographicallyPrecedes($1.lifecycle) } }
        StreamIndex.Head.encode(version: version, last: last, previous: previous, changes: headChanges, into: &headBytes)
    }

    /// Refuses events about an erased resident, and events that lack a consent they need.
    func checkSubject(_ event: PreparedEvent, streamKey: UnsafeRawBufferPointer) throws {
        if anyErased {
            if let resident = event.resident, try txn.get(db.erased, Array(resident.utf8)) != nil, !event.type.erasesSubject {
                throw LedgerError.refused("\(event.label): resident \(resident) was erased; no event about them may be recorded")
            }
            if try txn.get(db.erasedStreams, streamKey) != nil {
                throw LedgerError.refused("\(event.label): the stream belongs to an erased resident; no event may follow")
            }
        }
        for consent in event.consents {
            guard let head = try txn.get(db.streams, consent.stream), let state = try StreamIndex.Head(head).state(of: consent.key),
                  state.elementsEqual("GIVEN".utf8) else {
                throw LedgerError.refused("\(event.label): \(consent.text)")
            }
        }
    }

    /// Marks a resident erased, and with them every stream that named them.
    mutating func markErased(_ resident: String) throws {
        anyErased = true
        try txn.put(db.erased, Array(resident.utf8), Keys.u64(UInt64(size)))
        var streams: [[UInt8]] = [Array(DataKeyId.residentStream(resident).utf8)]
        streams += try Keys.residentStreams(resident, txn: txn, db: db.residentStreams)
        for stream in streams { try txn.put(db.erasedStreams, stream, [1]) }
    }

    /// A lifecycle state this event changes, under its entry's name in the stream's head.
    struct Move {
        let lifecycle: Lifecycle
        let key: [UInt8]
        let state: [UInt8]
    }

    /// The moves of the event as the first of a new stream, into `moves`; false when a new
    /// stream could not start with it. Reads nothing and builds no message: it is asked of
    /// most events. (A stream's lifecycle states belong to the stream: a new one has none.)
    mutating func movesForNewStream(_ event: PreparedEvent) -> Bool {
        moves.removeAll(keepingCapacity: true)
        for step in event.steps {
            let lifecycle = step.lifecycle
            guard case .moves(let to) = lifecycle.step(from: 0, candidates: step.candidates) else { return false }
            if to != 0 { moves.append(Move(lifecycle: lifecycle, key: step.key, state: lifecycle.stateBytes[to])) }
        }
        return true
    }

    /// The states this event moves and their new values, into `moves`; throws when a machine
    /// refuses. States are read in place, from the head's bytes.
    mutating func lifecycleMoves(_ event: PreparedEvent, head: StreamIndex.Head?) throws {
        moves.removeAll(keepingCapacity: true)
        for step in event.steps {
            let lifecycle = step.lifecycle
            var state = 0
            let stored: UnsafeRawBufferPointer?
            stored = head?.state(of: step.key)
            if let stored {
                guard let index = lifecycle.stateIndex(stored) else {
                    throw LedgerError(.integrity, "\(event.stream): unknown state \(String(decoding: stored, as: UTF8.self)) in the \(lifecycle.name) lifecycle")
                }
                state = index
            }
            switch lifecycle.step(from: state, candidates: step.candidates) {
            case .afterTerminal: throw refusal(event, step, state: state, terminal: true)
            case .notAllowed: throw refusal(event, step, state: state, terminal: false)
            case .moves(let to): if to != state { moves.append(Move(lifecycle: lifecycle, key: step.key, state: lifecycle.stateBytes[to])) }
            }
        }
    }

    private func refusal(_ event: PreparedEvent, _ step: LifecycleStep, state index: Int, terminal: Bool) -> LedgerError {
        let lifecycle = step.lifecycle
        let state = lifecycle.states[index]
        let instance = step.instance.isEmpty ? "" : " for \(step.instance.replacing("\u{1F}", with: "/"))"
        if terminal {
            return .refused("\(event.label): the \(lifecycle.name) lifecycle\(instance) is in its terminal state \(state); no event may follow")
        }
        let allowed = lifecycle.allowedEvents(from: state)
        let guards = lifecycle.transitions(for: event.type.name).filter { $0.from.contains(state) }.compactMap { $0.when?.text }
        let condition = guards.isEmpty ? "" : " with this data (from \(state) it needs \(guards.joined(separator: " or ")))"
        return .refused("\(event.label): \(event.type.name) is not allowed\(condition) in state \(state) of the \(lifecycle.name) lifecycle\(instance); allowed from \(state): \(allowed.isEmpty ? "nothing" : allowed.joined(separator: ", "))")
    }

    /// Records that `stream` names `resident`, at the end of the index: written where the last
    /// entry was, its pages are written once, where an index by resident had each batch rewrite
    /// pages all over it (measured: a fifth of an import's commit time).
    mutating func addResidentStream(_ resident: String, _ stream: UnsafeRawBufferPointer) throws {
        if residentStreams == nil {
            let cursor = try txn.cursor(db.residentStreams)
            nextResidentStream = try cursor.last().map { Keys.readU64($0.key) + 1 } ?? 1
            residentStreams = cursor
        }
        residentStreamValue.removeAll(keepingCapacity: true)
        Keys.appendResidentStream(resident: resident.utf8, stream: stream, to: &residentStreamValue)
        try withUnsafeBytes(of: nextResidentStream.bigEndian) { key in
            try residentStreamValue.withUnsafeBytes { try residentStreams!.put(key, $0, options: .append) }
        }
        nextResidentStream += 1
    }

    /// Writes the tree hashes and the type and day index entries gathered so far.
    mutating func flushIndexes() throws {
        try TreeTiles.append(hasher.finish(), txn: txn, db: db.tree)
        // Two versions of one type are gathered apart but share a term: merged, in order.
        var byName: [String: [UInt8]] = [:]
        for type in pendingTypes where !type.positions.isEmpty {
            if let other = byName[type.name] {
                byName[type.name] = PostingBlocks.merge(other, type.positions)
            } else {
                byName[type.name] = type.positions
            }
        }
        for (name, positions) in byName {
            try PostingBlocks.add(positions, toTermWithPrefix: PostingBlocks.prefix(Array(name.utf8)), db: db.types, txn: txn)
        }
        setCurrentDay(currentDay)
        for (day, positions) in pendingDays {
            try PostingBlocks.add(positions, toTermWithPrefix: PostingBlocks.prefix(Keys.u32(day)), db: db.days, txn: txn)
        }
        for i in pendingTypes.indices { pendingTypes[i].positions.removeAll(keepingCapacity: true) }
        pendingDays.removeAll(keepingCapacity: true)
    }

    /// Writes the batch's type and day index entries, and records which catalogue validated the
    /// events from this batch's first position on.
    mutating func finish() throws {
        try flushIndexes()
        guard size >= Int64(firstPosition) else { return }
        let history = try txn.cursor(db.catalogueHistory)
        if let last = try history.last(), Keys.readU32(last.value) == ledger.catalogueNumber { return }
        try txn.put(db.catalogueHistory, Keys.u64(firstPosition), Keys.u32(ledger.catalogueNumber), options: .append)
    }
}
