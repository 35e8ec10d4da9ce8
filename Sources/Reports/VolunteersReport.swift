import JSON
import Projections

/// Volunteer offers made in the period: how many were matched and how fast, the matches active at
/// the end of the period, and the hours logged against the hours scheduled.
enum VolunteersReport {
    static let columns = [
        "group", "offered", "matched", "match rate", "median days to match", "active at end", "ended", "ended completed",
        "hours scheduled", "hours logged", "hours logged share", "sessions",
    ]

    struct Tally: GroupTally {
        var offered = 0, matched = 0, active = 0, ended = 0, completed = 0, sessions = 0
        var scheduled = 0.0, logged = 0.0
        var toMatch: [Double] = []

        mutating func add(_ r: VolunteersModel.Row, _ q: ReportQuery) {
            offered += 1
            if let m = r.matched, m <= q.reference {
                matched += 1
                scheduled += r.hoursScheduled
                if let d = Statistics.days(r.offered, m) { toMatch.append(d) }
            }
            if r.isActive(at: q.end - 1) { active += 1 }
            if let e = r.ended, e <= q.reference {
                ended += 1
                if r.endReason == "completed" { completed += 1 }
            }
            logged += r.hoursLogged
            sessions += Int(r.sessions)
        }

        func cells(_ group: String) -> [Cell] {
            [.text(group), .count(offered), .count(matched), .rate(matched, of: offered),
             .statistic(Statistics.median(toMatch), n: toMatch.count), .count(active), .count(ended), .count(completed),
             .amount(scheduled), .amount(logged),
             .statistic(scheduled > 0 ? logged / scheduled : nil, n: matched, decimals: 3), .count(sessions)]
        }
    }

    static func build(_ model: VolunteersModel, _ q: ReportQuery) -> Report {
        let rows = model.rows.rows { q.inPeriod($0.offered) && q.includes($0.neighbourhood) }
        func section(_ id: String, _ title: String, _ key: (VolunteersModel.Row) -> String) -> Section {
            Tally.section(rows, q, id: id, title: title, columns: columns, by: key)
        }
        let all = Tally.total(rows, q)
        return Report(
            name: "volunteers", title: "Volunteers", scope: q.scope,
            sections: [
                Tally.totalSection(rows, all, title: "All volunteer offers made in the period", columns: columns,
                        charts: [.bars(title: "Volunteer offers", labels: ["offered", "matched", "active at end", "ended completed"],
                                       values: [.count(all.offered), .count(all.matched), .count(all.active), .count(all.completed)])]),
                section("by-task", "Per task (unmatched offers have no task)", { $0.task.isEmpty ? "(not matched)" : $0.task }),
                section("by-neighbourhood", "Per neighbourhood") { q.area($0.neighbourhood) },
            ],
            notes: ["Offers made in the period, followed to where they stood at the reference moment. Active at end: matched and not ended at the end of the period. Hours logged share: hours logged over hours scheduled for the matches."])
    }
}
