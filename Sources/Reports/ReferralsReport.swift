import JSON
import Projections
import TextFormats

/// Referrals made in the period, followed to where they stand at the reference moment.
enum ReferralsReport {
    static let columns = [
        "group", "made", "accepted", "declined", "rejected", "first contact", "completed", "closed",
        "decline rate", "completion rate", "warm handover share", "closed-loop rate",
        "median days to accepted", "p90 days to accepted", "median days to first contact", "p90 days to first contact",
        "median days to closed", "p90 days to closed", "open past due",
    ]

    struct Funnel: GroupTally {
        var made = 0, accepted = 0, declined = 0, rejected = 0, firstContact = 0, completed = 0, closed = 0
        var warm = 0, feedback = 0, overdue = 0
        var toAccepted: [Double] = [], toFirstContact: [Double] = [], toClosed: [Double] = []

        mutating func add(_ r: ReferralsModel.Row, _ q: ReportQuery) {
            made += 1
            // A step counts once it has happened by the reference moment.
            func by(_ t: Int64?) -> Int64? { t.flatMap { $0 <= q.reference ? $0 : nil } }
            if by(r.accepted) != nil { accepted += 1 }
            if by(r.declined) != nil { declined += 1 }
            if by(r.rejected) != nil { rejected += 1 }
            if by(r.firstContact) != nil { firstContact += 1 }
            if by(r.completed) != nil { completed += 1 }
            if let _ = by(r.closed) {
                closed += 1
                if r.feedbackSent == true { feedback += 1 }
            }
            if r.handover == "warm" { warm += 1 }
            if let d = Statistics.days(r.made, by(r.accepted)) { toAccepted.append(d) }
            if let d = Statistics.days(r.made, by(r.firstContact)) { toFirstContact.append(d) }
            if let d = Statistics.days(r.made, by(r.closed)) { toClosed.append(d) }
            let open = [r.declined, r.rejected, r.completed, r.closed].allSatisfy { by($0) == nil }
            if open, let due = r.due, (due + 1) * Calendar.microsPerDay <= q.reference { overdue += 1 }
        }

        func cells(_ group: String) -> [Cell] {
            let (accepted1, accepted2) = Statistics.medianAndPercentile90(toAccepted)
            let (first1, first2) = Statistics.medianAndPercentile90(toFirstContact)
            let (closed1, closed2) = Statistics.medianAndPercentile90(toClosed)
            return [.text(group), .count(made), .count(accepted), .count(declined), .count(rejected), .count(firstContact),
             .count(completed), .count(closed), .rate(declined, of: made), .rate(completed, of: made),
             .rate(warm, of: made), .rate(feedback, of: closed),
             .statistic(accepted1, n: toAccepted.count), .statistic(accepted2, n: toAccepted.count),
             .statistic(first1, n: toFirstContact.count), .statistic(first2, n: toFirstContact.count),
             .statistic(closed1, n: toClosed.count), .statistic(closed2, n: toClosed.count),
             .count(overdue)]
        }
    }

    static func build(_ model: ReferralsModel, _ q: ReportQuery) -> Report {
        let rows = model.rows.rows { q.inPeriod($0.made) && q.includes($0.neighbourhood) }
        func section(_ id: String, _ title: String, _ key: (ReferralsModel.Row) -> String) -> Section {
            Funnel.section(rows, q, id: id, title: title, columns: columns, by: key)
        }
        let all = Funnel.total(rows, q)
        // The path a referral takes, each step a subset of the one before; then the ways it ends.
        let steps = ["made", "accepted", "first contact", "completed"]
        let values: [Cell] = [.count(all.made), .count(all.accepted), .count(all.firstContact), .count(all.completed)]
        let endings = ["declined by the resident", "rejected by the organisation", "closed"]
        let ended: [Cell] = [.count(all.declined), .count(all.rejected), .count(all.closed)]
        return Report(
            name: "referrals", title: "Referrals", scope: q.scope,
            sections: [
                Funnel.totalSection(rows, all, title: "All referrals made in the period", columns: columns,
                        charts: [.bars(title: "Referral funnel: made → accepted → first contact → completed", labels: steps, values: values),
                                 .bars(title: "How referrals ended", labels: endings, values: ended)]),
                section("by-service", "Per service", \.service),
                section("by-organisation", "Per target organisation", \.organisation),
                section("by-neighbourhood", "Per neighbourhood") { q.area($0.neighbourhood) },
                section("by-urgency", "Per urgency (referral.made v2; earlier referrals read as unknown)", \.urgency),
            ],
            notes: ["Referrals made in the period, each followed to where it stood at the reference moment. Rates: declined and completed among those made; warm handovers among those made; closed-loop: feedback sent to the referrer among those closed. Open past due: still open the day after the due date."])
    }
}
