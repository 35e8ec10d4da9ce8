import JSON
import Projections

/// Initiatives proposed in the period, through the funnel proposed → supported → funded →
/// realised (a first activity) → sustained (carried on by the residents themselves).
enum InitiativesReport {
    static let columns = [
        "group", "proposed", "supported", "funding decided", "funded", "grant rate", "realised", "realisation rate",
        "sustained", "closed", "not realised", "median days to first activity", "activities", "attendance", "amount granted",
    ]

    struct Funnel: GroupTally {
        var proposed = 0, supported = 0, decided = 0, funded = 0, realised = 0, sustained = 0, closed = 0, notRealised = 0
        var activities = 0, attendance = 0
        var granted = 0.0
        var toFirst: [Double] = []

        mutating func add(_ r: InitiativesModel.Row, _ q: ReportQuery) {
            func by(_ t: Int64?) -> Int64? { t.flatMap { $0 <= q.reference ? $0 : nil } }
            proposed += 1
            if by(r.supported) != nil { supported += 1 }
            if by(r.fundingDecided) != nil {
                decided += 1
                if r.funded { funded += 1; granted += r.amountGranted }
            }
            if let first = by(r.firstActivity) {
                realised += 1
                if let d = Statistics.days(r.proposed, first) { toFirst.append(d) }
            }
            if by(r.closed) != nil {
                closed += 1
                if r.sustained { sustained += 1 }
                if r.outcome == "not_realised" { notRealised += 1 }
            }
            activities += Int(r.activities)
            attendance += Int(r.attendance)
        }

        func cells(_ group: String) -> [Cell] {
            [.text(group), .count(proposed), .count(supported), .count(decided), .count(funded), .rate(funded, of: decided),
             .count(realised), .rate(realised, of: proposed), .count(sustained), .count(closed), .count(notRealised),
             .statistic(Statistics.median(toFirst), n: toFirst.count), .count(activities), .count(attendance), .amount(granted)]
        }
    }

    static func build(_ model: InitiativesModel, _ q: ReportQuery) -> Report {
        let rows = model.rows.rows { q.inPeriod($0.proposed) && q.includes($0.neighbourhood) }
        func section(_ id: String, _ title: String, _ key: (InitiativesModel.Row) -> String) -> Section {
            Funnel.section(rows, q, id: id, title: title, columns: columns, by: key)
        }
        let all = Funnel.total(rows, q)
        return Report(
            name: "initiatives", title: "Initiatives", scope: q.scope,
            sections: [
                Funnel.totalSection(rows, all, title: "All initiatives proposed in the period", columns: columns,
                        charts: [.bars(title: "Initiative funnel", labels: ["proposed", "supported", "funded", "realised", "sustained"],
                                       values: [.count(all.proposed), .count(all.supported), .count(all.funded), .count(all.realised), .count(all.sustained)])]),
                section("by-theme", "Per theme", \.theme),
                section("by-neighbourhood", "Per neighbourhood") { q.area($0.neighbourhood) },
            ],
            notes: ["Initiatives proposed in the period. Funded: granted or partly granted; grant rate among funding decisions. Realised: a first activity held. Sustained: closed as continued independently by residents. Activities and attendance: all activities of these initiatives."])
    }
}
