import JSON
import Projections
import TextFormats

/// Signals raised in the period: how long they waited in each stage, whether policy answered in
/// time, and whether residents heard back; then the list of signals still open.
enum SignalsReport {
    static let stageColumns = SignalsModel.stages.map { "mean days " + $0.lowercased() }
    static let columns = [
        "group", "raised", "structural", "escalated", "answers due", "answered before due", "answered before due share",
        "resolved", "feedback after resolution", "feedback rate", "reopened", "reopen rate",
    ] + stageColumns

    struct Tally: GroupTally {
        var raised = 0, structural = 0, escalated = 0, due = 0, onTime = 0, resolved = 0, feedback = 0, reopened = 0
        var stageDays = [[Double]](repeating: [], count: SignalsModel.stages.count)

        mutating func add(_ r: SignalsModel.Row, _ q: ReportQuery) {
            raised += 1
            if r.structural { structural += 1 }
            if r.escalations > 0 { escalated += 1 }
            // Answers that were due: those given, plus one still awaited whose due date has passed.
            let waitingPastDue = r.pendingDue.map { ($0 + 1) * Calendar.microsPerDay <= q.reference } ?? false
            due += Int(r.answered) + (waitingPastDue ? 1 : 0)
            onTime += Int(r.answeredBeforeDue)
            if r.resolved != nil {
                resolved += 1
                if r.feedbackAfterResolution { feedback += 1 }
                if r.reopened > 0 { reopened += 1 }
            }
            for (i, stage) in SignalsModel.stages.enumerated() {
                var micros = r.stageMicros[i]
                if r.state == stage { micros += max(0, q.reference - r.enteredAt) }
                if micros > 0 { stageDays[i].append(Double(micros) / Double(Calendar.microsPerDay)) }
            }
        }

        func cells(_ group: String) -> [Cell] {
            [.text(group), .count(raised), .count(structural), .count(escalated), .count(due), .count(onTime),
             .rate(onTime, of: due), .count(resolved), .count(feedback), .rate(feedback, of: resolved),
             .count(reopened), .rate(reopened, of: resolved)]
                + stageDays.map { .statistic(Statistics.mean($0), n: $0.count) }
        }
    }

    static func build(_ model: SignalsModel, _ q: ReportQuery) -> Report {
        let entries = model.rows.entries.filter { q.inPeriod($0.row.raised) && q.includes($0.row.neighbourhood) }
        let rows = entries.map(\.row)
        let all = Tally.total(rows, q)
        let categories = Tally.grouped(rows, q, by: \.category)
        let byCategory = Tally.section(rows, q, id: "by-category", title: "Per category", columns: columns, by: \.category)
        let byRecipient = Tally.section(rows, q, id: "by-recipient", title: "Per recipient (the latest escalation's)", columns: columns,
                                        by: { $0.recipient.isEmpty ? "(not escalated)" : $0.recipient })
        let structuralOnly = Tally.section(rows.filter(\.structural), q, id: "structural-by-category",
                                           title: "Structural signals per category", columns: columns, by: \.category)
        let labels = categories.keys.sorted()
        var withChart = byCategory
        withChart.charts = [.stacked(title: "Mean days per stage, per category", labels: labels,
                                     parts: SignalsModel.stages.map { $0.lowercased() },
                                     values: labels.map { l in categories[l]!.stageDays.map { .statistic(Statistics.mean($0), n: $0.count) } })]
        let open = entries.filter { $0.row.isOpen }.sorted { ($0.row.raised ?? 0, $0.key) < ($1.row.raised ?? 0, $1.key) }
        let openSection = Section(
            id: "open", title: "Open signals", columns: ["signal", "neighbourhood", "category", "state", "raised", "days open", "recipient", "answer due"],
            rows: open.map { key, r in
                [.text(key), .text(r.neighbourhood), .text(r.category), .text(r.state.lowercased()), .text(RFC3339.formatDay(Calendar.day(ofMicros: r.raised ?? 0))),
                 .amount((Statistics.days(r.raised, q.reference) ?? 0).rounded()), .text(r.recipient),
                 .text(r.pendingDue.map { RFC3339.formatDay(Int($0)) } ?? "")]
            })
        return Report(
            name: "signals", title: "Signals", scope: q.scope,
            sections: [
                Tally.totalSection(rows, all, title: "All signals raised in the period", columns: columns),
                withChart, byRecipient, structuralOnly, openSection,
            ],
            notes: ["Signals raised in the period. Days per stage: mean over the signals that spent time in the stage, the current stage counted up to the reference moment. Answered before due: responses on or before the escalation's response due date, among answers given or overdue. Feedback and reopen rates: among resolved signals."])
    }
}
