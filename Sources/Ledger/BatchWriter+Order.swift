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

    mutating func checkOrder(_ event: PreparedEvent, after last: UInt64) throws {
        guard last > 0 else { return }
        // The machines of the stream itself whose transitions name this type: a "*" that lets
        // any event of the stream pass (a resident's notes, say) orders nothing.
        let type = event.type.name
        let lifecycles = event.steps.lazy.map(\.lifecycle).filter { $0.instanceBy.isEmpty && $0.names(type) }
        // An append that names the version it expects cannot be run twice by mistake: the
        // second run finds the stream moved on, a conflict.
        if event.refusesDouble, !event.expected.isExact { try checkDouble(event, last: last) }
        guard !lifecycles.isEmpty else { return }
        var position = last
        for _ in 0..<BatchWriter.orderWalk where position > 0 {
            guard let bytes = try txn.get(db.log, Keys.u64(position)) else { return }
            let record = try RecordView(bytes)
            let earlier = record.type
            if let lifecycle = lifecycles.first(where: { $0.names(earlier) }) {
                guard event.occurredAt >= record.occurredAt else {
                    throw LedgerError.refused("\(event.label): it occurred at \(RFC3339.format(event.occurredAt)), before \(earlier) at position \(position) (\(RFC3339.format(record.occurredAt))), the step of the \(lifecycle.name) lifecycle it follows; check --occurred-at")
                }
                return
            }
            guard let previous = try db.streamLinks.get(txn, position) else { return }
            position = previous
        }
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
