import Projections

/// The figures of one group of rows (a funnel, a tally): filled row by row, then shown as a
/// table line. Referrals, signals, initiatives and volunteers reports are all such groupings.
protocol GroupTally {
    associatedtype Row
    init()
    mutating func add(_ row: Row, _ q: ReportQuery)
    func cells(_ group: String) -> [Cell]
}

extension GroupTally {
    /// One tally over all `rows`.
    static func total(_ rows: [Row], _ q: ReportQuery) -> Self {
        var all = Self()
        for r in rows { all.add(r, q) }
        return all
    }

    /// A tally per group, by `key`.
    static func grouped(_ rows: [Row], _ q: ReportQuery, by key: (Row) -> String) -> [String: Self] {
        var groups: [String: Self] = [:]
        for r in rows { groups[key(r), default: Self()].add(r, q) }
        return groups
    }

    /// A section with one line for all `rows` together (none when there are none).
    static func totalSection(_ rows: [Row], _ all: Self, id: String = "all", title: String, columns: [String],
                             charts: [Chart] = []) -> Section {
        Section(id: id, title: title, columns: columns, rows: rows.isEmpty ? [] : [all.cells("all")], charts: charts)
    }

    /// A section with one line per group, groups in order.
    static func section(_ rows: [Row], _ q: ReportQuery, id: String, title: String, columns: [String],
                        by key: (Row) -> String) -> Section {
        let groups = grouped(rows, q, by: key)
        return Section(id: id, title: title, columns: columns, rows: groups.keys.sorted().map { groups[$0]!.cells($0) })
    }
}
