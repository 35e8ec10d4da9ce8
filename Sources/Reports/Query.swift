import JSON
import Projections

/// What an analyst asks of a report: a period of occurrence, some neighbourhoods, and the moment
/// at which things still open are judged (open, overdue, days so far).
public struct ReportQuery: Sendable {
    /// occurredAt bounds in microseconds: from inclusive, to exclusive; nil is unbounded.
    public var from: Int64?
    public var to: Int64?
    /// Empty means every neighbourhood.
    public var neighbourhoods: Set<String>
    /// "Now" for the report: open items are judged and counted up to this moment.
    public var reference: Int64
    /// One line on what the figures cover (period, neighbourhoods, as-of), printed with them.
    public var scope: String
    /// How codes of other divisions are counted (nil: each code as recorded).
    public var areas: AreaMapping?

    public init(from: Int64?, to: Int64?, neighbourhoods: Set<String>, reference: Int64, scope: String) {
        self.from = from
        self.to = to
        self.neighbourhoods = neighbourhoods
        self.reference = reference
        self.scope = scope
    }

    public func inPeriod(_ t: Int64?) -> Bool {
        guard let t else { return false }
        return (from.map { t >= $0 } ?? true) && (to.map { t < $0 } ?? true)
    }

    /// Whether the report covers a neighbourhood: asked for as recorded, or as counted.
    public func includes(_ neighbourhood: String) -> Bool {
        neighbourhoods.isEmpty || neighbourhoods.contains(neighbourhood) || neighbourhoods.contains(area(neighbourhood))
    }

    /// The end of the period, or the reference moment when that comes first.
    public var end: Int64 { min(to ?? reference, reference) }
}
