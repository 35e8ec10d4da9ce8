import JSON
import Projections

/// Change from baseline to follow-up, per instrument and per item: ONS4's four questions are
/// separate measures, never summed. Only residents with both measurements count, and only when
/// the follow-up falls in the period.
enum WellbeingReport {
    static let columns = [
        "group", "instrument", "item", "pairs", "mean baseline", "mean follow-up", "mean change", "improved", "unchanged", "worsened",
    ]

    struct Pairs {
        var baseline: [Double] = [], followUp: [Double] = []
        var improved = 0, unchanged = 0, worsened = 0

        mutating func add(_ b: Double, _ f: Double, lowerIsBetter: Bool) {
            baseline.append(b)
            followUp.append(f)
            let better = lowerIsBetter ? f < b : f > b
            if f == b { unchanged += 1 } else if better { improved += 1 } else { worsened += 1 }
        }

        func cells(_ group: String, _ instrument: String, _ item: String) -> [Cell] {
            let n = baseline.count
            let change = zip(baseline, followUp).map { $1 - $0 }
            return [.text(group), .text(instrument), .text(item), .count(n),
                    .statistic(Statistics.mean(baseline), n: n), .statistic(Statistics.mean(followUp), n: n),
                    .statistic(Statistics.mean(change), n: n), .count(improved), .count(unchanged), .count(worsened)]
        }
    }

    static func build(_ model: WellbeingModel, _ q: ReportQuery) -> Report {
        // group → "instrument/item" → pairs
        var tallies: [String: [String: Pairs]] = [:]
        for row in model.rows.rows(where: { q.includes($0.neighbourhood) }) {
            for instrument in row.instruments {
                guard let b = instrument.baseline, let f = instrument.followUp, f.at >= b.at, q.inPeriod(f.at),
                      let items = WellbeingModel.items[instrument.name], b.scores.count == items.count, f.scores.count == items.count else { continue }
                for (i, item) in items.enumerated() {
                    let key = instrument.name + "/" + item
                    for group in ["all", q.area(row.neighbourhood)] {
                        tallies[group, default: [:]][key, default: Pairs()].add(b.scores[i], f.scores[i], lowerIsBetter: WellbeingModel.lowerIsBetter.contains(item))
                    }
                }
            }
        }
        func rows(_ groups: [String]) -> [[Cell]] {
            groups.flatMap { g in
                (tallies[g] ?? [:]).keys.sorted().map { key -> [Cell] in
                    let parts = key.split(separator: "/").map(String.init)
                    return tallies[g]![key]!.cells(g, parts[0], parts[1])
                }
            }
        }
        let all = tallies["all"] ?? [:]
        let keys = all.keys.sorted()
        return Report(
            name: "wellbeing", title: "Wellbeing", scope: q.scope,
            sections: [
                Section(id: "by-instrument", title: "Per instrument and item", columns: columns, rows: rows(["all"]),
                        charts: [.bars(title: "Residents improved, per instrument item", labels: keys, values: keys.map { .count(all[$0]!.improved) })]),
                Section(id: "by-neighbourhood", title: "Per neighbourhood", columns: columns,
                        rows: rows(tallies.keys.filter { $0 != "all" }.sorted())),
            ],
            notes: ["Residents with a baseline and a follow-up of the same instrument, follow-up in the period: first baseline against latest follow-up. ONS4 items are separate measures (anxiety: lower is better) and are never added up."])
    }
}
