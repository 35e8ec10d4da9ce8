/// A report as data, before it is rendered as a table, CSV, JSON or HTML. Cells say what kind
/// of figure they hold (a count, a rate with its numerator and denominator, a statistic with the
/// number of observations behind it) so that small-cell suppression can be applied the same way
/// in every format.
public struct Report {
    public var name: String
    public var title: String
    /// One line on what the report covers: period, neighbourhoods, as-of.
    public var scope: String
    public var sections: [Section]
    public var notes: [String] = []

    public init(name: String, title: String, scope: String, sections: [Section], notes: [String] = []) {
        self.name = name
        self.title = title
        self.scope = scope
        self.sections = sections
        self.notes = notes
    }
}

public struct Section {
    /// A short machine name (`by-service`), used by `--section` and in CSV and JSON.
    public var id: String
    public var title: String
    public var columns: [String]
    public var rows: [[Cell]]
    public var charts: [Chart]

    public init(id: String, title: String, columns: [String], rows: [[Cell]], charts: [Chart] = []) {
        self.id = id
        self.title = title
        self.columns = columns
        self.rows = rows
        self.charts = charts
    }
}

public enum Cell: Equatable {
    case text(String)
    /// A count of people or things: suppressed when small.
    case count(Int)
    /// A share: withheld when the numerator or the denominator is a small count.
    case rate(Int, of: Int)
    /// A statistic (median, mean, density...) over `n` observations: withheld when `n` is small.
    case statistic(Double?, n: Int, decimals: Int = 1)
    /// A quantity that counts no one (hours, amounts): never suppressed.
    case amount(Double)
    case empty
}

public enum Chart {
    /// Rows × columns of values, shaded (monthly trends per neighbourhood).
    /// `partial` names a column (the last month) whose period is not over yet: its figures
    /// are not comparable with the others', and the chart says so.
    case heatmap(title: String, rows: [String], columns: [String], values: [[Cell]], partial: String? = nil)
    /// Horizontal bars, one per label (funnels).
    case bars(title: String, labels: [String], values: [Cell])
    /// One bar per label split into parts (time spent per stage).
    case stacked(title: String, labels: [String], parts: [String], values: [[Cell]])
}

/// Small-cell suppression: a count from 1 up to the threshold (exclusive) is shown as `<k`;
/// rates and statistics resting on such counts are withheld. A zero is shown: it names no one.
public struct Suppression: Sendable {
    public let threshold: Int

    public init(threshold: Int) { self.threshold = threshold }

    public enum Shown: Equatable {
        case text(String)
        case number(Double, decimals: Int)
        case suppressed(String)
        case withheld
        case empty
    }

    func small(_ n: Int) -> Bool { n > 0 && n < threshold }

    public func show(_ cell: Cell) -> Shown {
        switch cell {
        case .text(let s): return .text(s)
        case .count(let n): return small(n) ? .suppressed("<\(threshold)") : .number(Double(n), decimals: 0)
        case .rate(let num, let den):
            guard den > 0, den >= threshold, !small(num) else { return .withheld }
            return .number(Double(num) / Double(den), decimals: 3)
        case .statistic(let value, let n, let decimals):
            guard let value, n >= threshold, n > 0 else { return .withheld }
            return .number(value, decimals: decimals)
        case .amount(let v): return .number(v, decimals: v == v.rounded() ? 0 : 1)
        case .empty: return .empty
        }
    }
}
