import Catalogue
import LMDB
import JSON

/// What became of one event given to `append`.
public enum AppendOutcome: Sendable {
    case appended(position: UInt64, streamVersion: UInt64)
    /// The same id with the same content was already in the log: nothing was written.
    case alreadyRecorded(position: UInt64)
    /// Only when not atomic: the event broke a rule that needs the ledger's state.
    case refused(LedgerError)
}

extension Ledger {
    public enum BatchMode: Sendable {
        /// All or nothing: the first refusal aborts the batch and is thrown.
        case atomic
        /// Refused events are reported and skipped; the rest are appended.
        case skipRefused
    }

    /// Appends `events` in one write transaction, in order: checked for idempotency, expected
    /// version and lifecycle against the ledger as this transaction sees it (so concurrent
    /// writers from other processes are serialized by LMDB's writer lock), then written with their
    /// index entries and tree hashes. Durable when this returns.
    public func append(_ events: [PreparedEvent], mode: BatchMode = .atomic) throws -> [AppendOutcome] {
        try transaction(mode: mode) { try $0.append(events) }
    }

    /// Runs `body` with one write transaction that it may append several batches to: for an
    /// import that must be all or nothing. `body` may be run again from the start when the map
    /// has to grow, so it must produce its batches afresh on every run.
    public func transaction<R>(mode: BatchMode, _ body: (Appender) throws -> R) throws -> R {
        try Ledger.wrap {
            try env.write { txn in
                let appender = Appender(writer: try BatchWriter(ledger: self, txn: txn), mode: mode)
                let result = try body(appender)
                try appender.writer.finish()
                return result
            }
        }
    }
}

/// Appends batches inside one write transaction (see `Ledger.transaction`).
public final class Appender {
    var writer: BatchWriter
    let mode: Ledger.BatchMode

    init(writer: BatchWriter, mode: Ledger.BatchMode) {
        self.writer = writer
        self.mode = mode
    }

    public func append(_ events: [PreparedEvent]) throws -> [AppendOutcome] {
        var outcomes: [AppendOutcome] = []
        outcomes.reserveCapacity(events.count)
        for event in events {
            do {
                outcomes.append(try writer.append(event))
            } catch let error as LedgerError where mode == .skipRefused && error.kind != .storage && error.kind != .integrity {
                outcomes.append(.refused(error))
            }
        }
        try writer.flushIndexes()
        return outcomes
    }
}

/// The state of one append transaction: the tree's right edge, and the ledger's clock.
struct BatchWriter {
    let ledger: Ledger
    let txn: WriteTransaction
    let db: Ledger.Databases
    var frontier: TreeFrontier
    var lastRecordedAt: Int64
    let now: Int64
    let firstPosition: UInt64
    let streams: Cursor
    /// Positions per type and per day, appended to their index keys in one call each at the end:
    /// a batch has a few dozen types and days but thousands of events.
    var pendingTypes: [String: [UInt8]] = [:]
    var pendingDays: [[UInt8]: [UInt8]] = [:]
    /// Whether anyone was ever erased: only then do events need the two erasure lookups.
    var anyErased: Bool

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
        self.frontier = try TreeFrontier(size: Int64(size), reader: TransactionHashReader(txn: txn, tree: db.tree))
        self.lastRecordedAt = last
        self.now = Clock.nowMicros()
        self.firstPosition = size + 1
        self.streams = try txn.cursor(db.streams)
        self.anyErased = try txn.count(db.erased) > 0
    }

    mutating func append(_ event: PreparedEvent) throws -> AppendOutcome {
        let position = UInt64(frontier.size) + 1
        let positionKey = Keys.u64(position)
        // Claim the id first: one descent serves both the idempotency check and the insert.
        if let existing = try txn.insertIfAbsent(db.ids, event.id, positionKey) {
            let position = Keys.readU64(existing)
            guard let bytes = try txn.get(db.log, Keys.u64(position)) else {
                throw LedgerError.storage("the id index names position \(position), which is not in the log (run `buurtboek verify`)")
            }
            guard try event.sameContent(as: try RecordView(bytes), sealer: ledger.sealer) else {
                throw LedgerError.refused("\(event.label): id \(UUIDText.format(event.id)) is already recorded at position \(position) with different content; an event id names one event forever")
            }
            return .alreadyRecorded(position: position)
        }
        do {
            return try place(event, position: position, positionKey: positionKey)
        } catch let error as LedgerError where error.kind == .refused || error.kind == .conflict {
            // Refused after the id was claimed: give it back, so the batch goes on without it.
            // (Any other error, LMDB's MAP_FULL above all, has spoilt the transaction: let it go up.)
            _ = try txn.delete(db.ids, event.id)
            throw error
        }
    }

    private mutating func place(_ event: PreparedEvent, position: UInt64, positionKey: [UInt8]) throws -> AppendOutcome {
        try checkSubject(event)
        let streamKey = Array(event.stream.utf8)
        let current = try streamVersion(streamKey)
        guard event.expected.admits(current) else {
            let actual = current == 0 ? "none (the stream does not exist)" : String(current)
            throw LedgerError(.conflict, "\(event.label): expected stream version \(event.expected), but the stream is at \(actual)")
        }
        let moves = try lifecycleMoves(event)

        var recordedAt = max(now, lastRecordedAt)
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
        let record = event.record(streamVersion: streamVersion, recordedAt: recordedAt).encoded()
        let leaf = Merkle.leafHash(record)
        if let expectedLeaf = event.restore?.leafHash, expectedLeaf != leaf {
            throw LedgerError.refused("\(event.label): the restored record's leaf hash is \(leaf.hex), not the exported \(expectedLeaf.hex); the export was altered or comes from another format")
        }

        try txn.put(db.log, positionKey, record, options: .append)
        try frontier.append(leaf: leaf) { index, hash in
            try hash.withUnsafeBytes { h in try Keys.u64(index).withUnsafeBytes { try txn.put(db.tree, $0, h, options: .append) } }
        }
        var versionAndPosition = Keys.u64(streamVersion)
        versionAndPosition.append(contentsOf: positionKey)
        try txn.put(db.streams, streamKey, versionAndPosition, options: .appendDuplicate)
        // The type and day indexes are written per key at the end of the batch (see `finish`).
        pendingTypes[event.type.name, default: []].append(contentsOf: positionKey)
        pendingDays[Keys.day(event.occurredAt), default: []].append(contentsOf: positionKey)
        for (key, state) in moves { try txn.put(db.states, key, state) }
        if let resident = event.resident {
            if streamVersion == 1 && !event.stream.hasPrefix("resident-") {
                try txn.put(db.residentStreams, Array(resident.utf8), streamKey)
            }
            if event.type.erasesSubject { try markErased(resident) }
        }
        lastRecordedAt = recordedAt
        return .appended(position: position, streamVersion: streamVersion)
    }

    /// Refuses events about an erased resident, and events that lack a consent they need.
    func checkSubject(_ event: PreparedEvent) throws {
        if anyErased {
            if let resident = event.resident, try txn.get(db.erased, Array(resident.utf8)) != nil, !event.type.erasesSubject {
                throw LedgerError.refused("\(event.label): resident \(resident) was erased; no event about them may be recorded")
            }
            if try txn.get(db.erasedStreams, Array(event.stream.utf8)) != nil {
                throw LedgerError.refused("\(event.label): the stream belongs to an erased resident; no event may follow")
            }
        }
        for consent in event.consents {
            let state = try txn.get(db.states, consent.key).map { String(decoding: $0, as: UTF8.self) }
            guard state == "GIVEN" else {
                throw LedgerError.refused("\(event.label): \(consent.text)")
            }
        }
    }

    /// Marks a resident erased, and with them every stream that named them.
    mutating func markErased(_ resident: String) throws {
        anyErased = true
        try txn.put(db.erased, Array(resident.utf8), Keys.u64(UInt64(frontier.size)))
        let cursor = try txn.cursor(db.residentStreams)
        var streams: [[UInt8]] = [Array("resident-\(resident)".utf8)]
        var entry = try cursor.find(Array(resident.utf8))
        while let e = entry {
            streams.append(Array(e.value))
            entry = try cursor.nextDuplicate()
        }
        for stream in streams { try txn.put(db.erasedStreams, stream, [1]) }
    }

    /// The stream's current version: its number of events (0 when it does not exist).
    func streamVersion(_ streamKey: [UInt8]) throws -> UInt64 {
        guard try streams.find(streamKey) != nil, let last = try streams.lastDuplicate() else { return 0 }
        return Keys.readU64(last.value)
    }

    /// The state keys this event moves and their new states; throws when a machine refuses.
    func lifecycleMoves(_ event: PreparedEvent) throws -> [([UInt8], [UInt8])] {
        var moves: [([UInt8], [UInt8])] = []
        for step in event.steps {
            let lifecycle = step.lifecycle
            let key = Keys.state(stream: event.stream, lifecycle: lifecycle.name, instance: step.instance)
            var state = 0
            if let stored = try txn.get(db.states, key) {
                guard let index = lifecycle.stateIndex(stored) else {
                    throw LedgerError(.integrity, "\(event.stream): unknown state \(String(decoding: stored, as: UTF8.self)) in the \(lifecycle.name) lifecycle")
                }
                state = index
            }
            let bit = UInt64(1) << UInt64(state)
            if lifecycle.terminalMask & bit != 0 {
                throw refusal(event, step, state: state, terminal: true)
            }
            var chosen: Int?
            var remaining = step.candidates
            while remaining != 0 {
                let i = remaining.trailingZeroBitCount
                if lifecycle.fromMasks[i] & bit != 0 { chosen = i; break }
                remaining &= remaining - 1
            }
            guard let transition = chosen else { throw refusal(event, step, state: state, terminal: false) }
            if let to = lifecycle.targets[transition], to != state { moves.append((key, lifecycle.stateBytes[to])) }
        }
        return moves
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

    /// Writes the type and day index entries gathered so far.
    mutating func flushIndexes() throws {
        for (type, positions) in pendingTypes { try txn.putDuplicates(db.types, Array(type.utf8), values: positions, size: 8) }
        for (day, positions) in pendingDays { try txn.putDuplicates(db.days, day, values: positions, size: 8) }
        pendingTypes.removeAll(keepingCapacity: true)
        pendingDays.removeAll(keepingCapacity: true)
    }

    /// Writes the batch's type and day index entries, and records which catalogue validated the
    /// events from this batch's first position on.
    mutating func finish() throws {
        try flushIndexes()
        guard frontier.size >= Int64(firstPosition) else { return }
        let history = try txn.cursor(db.catalogueHistory)
        if let last = try history.last(), Keys.readU32(last.value) == ledger.catalogueNumber { return }
        try txn.put(db.catalogueHistory, Keys.u64(firstPosition), Keys.u32(ledger.catalogueNumber), options: .append)
    }
}

/// Reads stored tree hashes inside a transaction.
struct TransactionHashReader: HashReader {
    let txn: Transaction
    let tree: Database

    func hashes(at indexes: [Int64]) throws -> [Hash] {
        try indexes.map { index in
            guard let bytes = try txn.get(tree, Keys.u64(index)), bytes.count == Hash.size else {
                throw LedgerError(.integrity, "tree hash \(index) is missing or malformed")
            }
            return Hash(bytes)
        }
    }
}
