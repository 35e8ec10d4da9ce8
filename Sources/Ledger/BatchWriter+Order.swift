import Catalogue
import LMDB
import TextFormats

/// What an event asks of the time order of its stream: a lifecycle step did not occur before
/// the step it follows, and a worker's append does not repeat the stream's last event (the
/// same command run twice).
extension BatchWriter {
    /// How close in time an append must be to its stream's last, equal event to be taken for a
    /// double entry: long enough for arrow-up and enter, short enough for a real second visit.
    static let doubleWindow: Int64 = 10 * 60 * 1_000_000
    /// How many earlier events of a stream are read to find the step an event follows; streams
    /// with a lifecycle are short, and a longer walk is not worth its reads.
    static let orderWalk = 32

    mutating func checkOrder(_ event: PreparedEvent, after last: UInt64, streamKey: UnsafeRawBufferPointer) throws {
        guard last > 0 else { return }
        let lifecycles = event.type.orderedLifecycles
        // An append that names the version it expects cannot be run twice by mistake: the
        // second run finds the stream moved on, a conflict.
        if event.refusesDouble, !event.expected.isExact { try checkDouble(event, last: last) }
        guard !lifecycles.isEmpty else { return }
        // The stream's last step, when this process wrote it: no read of the log.
        let key = StepTimes.key(streamKey)
        if let known = pendingSteps[key] ?? ledger.stepTimes.entry(key), known.position == last,
           lifecycles.contains(where: { ObjectIdentifier($0) == known.lifecycle }) {
            guard event.occurredAt >= known.occurredAt else {
                let type = try txn.get(db.log, Keys.u64(last)).map { try RecordView($0).type } ?? "its previous step"
                throw orderRefusal(event, type: type, position: last, occurredAt: known.occurredAt,
                                   lifecycle: lifecycles.first { ObjectIdentifier($0) == known.lifecycle }!)
            }
            return
        }
        var position = last
        for _ in 0..<BatchWriter.orderWalk where position > 0 {
            guard let bytes = try txn.get(db.log, Keys.u64(position)) else { return }
            let record = try RecordView(bytes)
            if let lifecycle = lifecycles.first(where: { $0.names(typeBytes: record.typeBytes) }) {
                guard event.occurredAt >= record.occurredAt else {
                    throw orderRefusal(event, type: record.type, position: position, occurredAt: record.occurredAt, lifecycle: lifecycle)
                }
                return
            }
            guard let previous = try db.streamLinks.get(txn, position) else { return }
            position = previous
        }
    }

    private func orderRefusal(_ event: PreparedEvent, type: String, position: UInt64, occurredAt: Int64, lifecycle: Lifecycle) -> LedgerError {
        .refused("\(event.label): it occurred at \(RFC3339.format(event.occurredAt)), before \(type) at position \(position) (\(RFC3339.format(occurredAt))), the step of the \(lifecycle.name) lifecycle it follows; check --occurred-at")
    }

    /// Notes the time of a step this transaction placed, for the next event of its stream.
    mutating func noteStep(_ event: PreparedEvent, streamKey: UnsafeRawBufferPointer, position: UInt64) {
        guard let lifecycle = event.type.orderedLifecycles.first else { return }
        pendingSteps[StepTimes.key(streamKey)] = StepTimes.Entry(position: position, occurredAt: event.occurredAt,
                                                                 lifecycle: ObjectIdentifier(lifecycle))
    }

    /// Refuses the event when it repeats the stream's last one within `doubleWindow`.
    private func checkDouble(_ event: PreparedEvent, last: UInt64) throws {
        guard let bytes = try txn.get(db.log, Keys.u64(last)) else { return }
        let record = try RecordView(bytes)
        let apart = event.occurredAt > record.occurredAt ? event.occurredAt - record.occurredAt : record.occurredAt - event.occurredAt
        guard apart <= BatchWriter.doubleWindow, try event.sameContent(as: record, sealer: ledger.sealer, anyTime: true) else { return }
        throw LedgerError.refused("\(event.label): likely recorded twice: position \(last) is the same event (\(record.type), same data, by \(record.recordedBy)), occurred at \(RFC3339.format(record.occurredAt)); nothing appended. If it really happened twice, append it with --again")
    }
}

/// When the last step of each stream this process wrote occurred, by a hash of the stream's
/// id: the order check then needs no read of the log for most events of an import. An entry
/// counts only when its position is the stream's last (the head says so), so a hash shared by
/// two streams, or a stream appended to by another process, falls back to reading the log.
/// Only committed transactions' entries are kept (`Ledger.transaction` merges them), and it is
/// touched only inside write transactions, which LMDB runs one at a time.
final class StepTimes: @unchecked Sendable {
    struct Entry {
        let position: UInt64
        let occurredAt: Int64
        let lifecycle: ObjectIdentifier
    }

    /// At most this many streams; then it starts again (a cache, never a record of truth).
    static let capacity = 1 << 20
    private var entries: [UInt64: Entry] = [:]

    static func key(_ stream: UnsafeRawBufferPointer) -> UInt64 { ByteHash.fnv1a(stream) }

    func entry(_ key: UInt64) -> Entry? { entries[key] }

    func merge(_ committed: [UInt64: Entry]) {
        if entries.count + committed.count > StepTimes.capacity { entries.removeAll(keepingCapacity: true) }
        entries.merge(committed) { _, new in new }
    }
}
