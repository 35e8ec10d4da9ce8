import JSON
import TextFormats

/// Which events a reader asks for (`log`, the server's event routes, `log --follow`): filters
/// that combine, read from the narrowest index that applies; the other filters check each
/// record.
public struct EventQuery: Sendable {
    public var from: UInt64 = 1
    public var limit: Int = .max
    public var type: String?
    public var stream: String?
    public var neighbourhood: String?
    /// Days (since 1970-01-01) of occurredAt, inclusive.
    public var sinceDay: Int?, untilDay: Int?
    public var reverse = false
    /// Leave out voided events (`log --current`).
    public var current = false

    public init() {}

    public func matches(_ record: RecordView) -> Bool {
        if let type, record.type != type { return false }
        if let stream, record.stream != stream { return false }
        if let neighbourhood, record.neighbourhood != neighbourhood { return false }
        if sinceDay != nil || untilDay != nil {
            let day = Calendar.day(ofMicros: record.occurredAt)
            if let sinceDay, day < sinceDay { return false }
            if let untilDay, day > untilDay { return false }
        }
        return true
    }

    /// Visits the matching events in order (newest first when `reverse`), at most `limit`,
    /// until `body` returns false. Returns the last position looked at (matching or not), so
    /// that a follower can go on after it without reading those again.
    @discardableResult
    public func visit(_ snapshot: LedgerSnapshot, _ body: (UInt64, RecordView) throws -> Bool) throws -> UInt64? {
        var remaining = limit
        var last: UInt64?
        func emit(_ position: UInt64, _ record: RecordView) throws -> Bool {
            guard remaining > 0 else { return false }
            last = position
            guard matches(record) else { return true }
            remaining -= 1
            return try body(position, record)
        }
        var positions: [UInt64]?
        if let stream { positions = try snapshot.streamPositions(stream).map(\.position) }
        else if let type { positions = try snapshot.positions(ofType: type) }
        else if sinceDay != nil || untilDay != nil {
            positions = try snapshot.positions(occurredFromDay: sinceDay ?? Int(Int32.min), toDay: untilDay ?? Int(Int32.max)).sorted()
        }
        guard var positions else {
            try snapshot.scan(from: from, reverse: reverse, emit)
            return last
        }
        positions = positions.filter { $0 >= from }
        if reverse { positions.reverse() }
        for position in positions {
            guard let record = try snapshot.record(at: position), try emit(position, record) else { break }
        }
        // Through an index, every position up to the log's end was considered.
        if !reverse, remaining > 0 { last = try snapshot.size() }
        return last
    }
}

extension EventQuery {
    /// As `visit`, with each event's correction mark (read once, from the corrections in the
    /// log), and without voided events when `current`.
    @discardableResult
    public func visitMarked(_ snapshot: LedgerSnapshot, _ body: (UInt64, RecordView, CorrectionMark?) throws -> Bool) throws -> UInt64? {
        let marks = try snapshot.correctionMarks()
        return try visit(snapshot) { position, record in
            let mark = marks[position]
            if current, case .voided = mark { return true }
            return try body(position, record, mark)
        }
    }
}
