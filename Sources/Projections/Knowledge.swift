import TextFormats

/// What the ledger knew, for a report or a replay: the events up to a log position (`--at`),
/// or those recorded by a moment (`--as-of`). The CLI and the team server both resolve it here,
/// so that a report's scope says it in the same words locally and remotely.
public enum Knowledge: Sendable, Equatable {
    case position(UInt64)
    /// The moment as given (a day, or an instant), and the first instant after it: the end
    /// of that day, or the instant plus one microsecond.
    case asOf(String, end: Int64)

    /// The end of `text` as `asOf` takes it: a day (10 characters) runs to its end.
    public static func end(ofDayOrInstant text: String, at micros: Int64) -> Int64 {
        text.utf8.count == 10 ? micros + Calendar.microsPerDay : micros + 1
    }

    /// The position, the moment it stands for (nil for a position), and the words for a
    /// report's scope. `option` names where the position came from, for the refusal.
    public func target(_ projection: Projection, option: String) throws -> (position: UInt64, moment: Int64?, label: String) {
        switch self {
        case .position(let at):
            let head = try projection.head()
            guard at >= 1, at <= head else { throw ProjectionError.refused("\(option) \(at): the log holds positions 1 to \(head)") }
            return (at, nil, "as known at position \(DecimalText.grouped(at))")
        case .asOf(let text, let end):
            let position = try projection.position(asOf: end - 1)
            return (position, end - 1, "as known on \(text) (position \(DecimalText.grouped(position)))")
        }
    }
}
