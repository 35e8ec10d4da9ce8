import JSON
import Projections
import TextFormats

/// The neighbourhood overview: one line per neighbourhood and month, then one per neighbourhood
/// for the whole period. Days are rolled up from the overview model; initiatives realised (first
/// activity) come from the initiatives model and active members from the network model.
enum OverviewReport {
    typealias C = NeighbourhoodOverview.Counter

    static let columns = [
        "neighbourhood", "month", "members joined", "members left", "active members", "contacts", "outreach share",
        "target-group contacts", "activities", "attendance", "new participants", "initiatives proposed",
        "initiatives realised", "referrals made", "referrals completed", "signals raised", "signals escalated",
        "signals resolved", "volunteer hours",
    ]

    struct Tally {
        var counts = [Int](repeating: 0, count: C.allCases.count)
        var hours = 0.0
        var realised = 0
        var groupContacts = [Int](repeating: 0, count: NeighbourhoodOverview.targetGroups.count)
        var groupActivities = [Int](repeating: 0, count: NeighbourhoodOverview.targetGroups.count)

        mutating func add(_ row: NeighbourhoodOverview.Row) {
            for i in counts.indices { counts[i] += Int(row.counts[i]) }
            hours += row.volunteerHours
            for i in groupContacts.indices { groupContacts[i] += Int(row.groupContacts[i]); groupActivities[i] += Int(row.groupActivities[i]) }
        }

        mutating func add(_ other: Tally) {
            for i in counts.indices { counts[i] += other.counts[i] }
            hours += other.hours
            realised += other.realised
            for i in groupContacts.indices { groupContacts[i] += other.groupContacts[i]; groupActivities[i] += other.groupActivities[i] }
        }

        subscript(_ c: C) -> Int { counts[c.rawValue] }
        var contacts: Int { C.contactModes.reduce(0) { $0 + self[$1] } }
        var outreach: Int { C.outreach.reduce(0) { $0 + self[$1] } }
    }

    static func build(_ overview: NeighbourhoodOverview, _ initiatives: InitiativesModel, _ network: NetworkModel,
                      _ q: ReportQuery) -> Report {
        var tallies: [String: [String: Tally]] = [:]   // neighbourhood → month → tally
        for (key, row) in overview.rows.entries {
            guard let (n, day) = NeighbourhoodOverview.split(key), q.includes(n) else { continue }
            let t = Int64(day) * Calendar.microsPerDay
            guard q.inPeriod(t) else { continue }
            tallies[q.area(n), default: [:]][Months.label(day: day), default: Tally()].add(row)
        }
        for (_, row) in initiatives.rows.entries where q.includes(row.neighbourhood) && q.inPeriod(row.firstActivity) {
            tallies[q.area(row.neighbourhood), default: [:]][Months.label(micros: row.firstActivity!), default: Tally()].realised += 1
        }
        let neighbourhoods = tallies.keys.sorted()
        let months = Set(tallies.values.flatMap(\.keys)).sorted()
        // Members active at each month's end (or the period's end, when that comes first).
        // Membership spans only: the network model's rows are large, and copying them costs.
        var spansIn: [String: [[NetworkModel.Span]]] = [:]
        for (_, row) in network.rows.entries where row.kind == .member && q.includes(row.neighbourhood) {
            spansIn[q.area(row.neighbourhood), default: []].append(row.spans)
        }
        func active(_ spans: [NetworkModel.Span], _ t: Int64) -> Bool { spans.contains { $0.covers(t - 1) } }
        func activeMembers(_ n: String, before t: Int64) -> Int {
            (spansIn[n] ?? []).reduce(0) { $0 + (active($1, t) ? 1 : 0) }
        }
        func line(_ n: String, _ month: String, _ t: Tally, activeAt: Int64) -> [Cell] {
            [.text(n), .text(month), .count(t[.membersJoined]), .count(t[.membersLeft]),
             .count(activeMembers(n, before: activeAt)), .count(t.contacts), .rate(t.outreach, of: t.contacts),
             .count(t[.targetGroupContacts]), .count(t[.activities]), .count(t[.attendance]), .count(t[.newParticipants]),
             .count(t[.initiativesProposed]), .count(t.realised), .count(t[.referralsMade]), .count(t[.referralsCompleted]),
             .count(t[.signalsRaised]), .count(t[.signalsEscalated]), .count(t[.signalsResolved]), .amount(t.hours)]
        }
        var monthly: [[Cell]] = [], totals: [[Cell]] = [], reach: [[Cell]] = []
        var contactsMap: [[Cell]] = [], activitiesMap: [[Cell]] = []
        var all = Tally()
        for n in neighbourhoods {
            var total = Tally()
            var contactsRow: [Cell] = [], activitiesRow: [Cell] = []
            for month in months {
                let t = tallies[n]?[month] ?? Tally()
                total.add(t)
                contactsRow.append(.count(t.contacts))
                activitiesRow.append(.count(t[.activities]))
                guard tallies[n]?[month] != nil else { continue }
                monthly.append(line(n, month, t, activeAt: min(Months.end(of: month), q.end)))
            }
            all.add(total)
            contactsMap.append(contactsRow)
            activitiesMap.append(activitiesRow)
            totals.append(line(n, "all", total, activeAt: q.end))
            for (i, group) in NeighbourhoodOverview.targetGroups.enumerated() {
                reach.append([.text(n), .text(group), .count(total.groupContacts[i]), .rate(total.groupContacts[i], of: total.contacts),
                              .count(total.groupActivities[i])])
            }
        }
        if !neighbourhoods.isEmpty {
            let everyone = spansIn.values.joined().reduce(0) { $0 + (active($1, q.end) ? 1 : 0) }
            var row = line("all", "all", all, activeAt: q.end)
            row[4] = .count(everyone)
            totals.append(row)
        }
        // The last month is partial when the period (or what the ledger knows) ends inside it.
        let partial = months.last.flatMap { Months.end(of: $0) > q.end ? $0 : nil }
        return Report(
            name: "neighbourhoods", title: "Neighbourhood overview", scope: q.scope,
            sections: [
                Section(id: "by-month", title: "Per neighbourhood and month", columns: columns, rows: monthly,
                        charts: [.heatmap(title: "Contacts per neighbourhood and month", rows: neighbourhoods, columns: months, values: contactsMap, partial: partial),
                                 .heatmap(title: "Activities held per neighbourhood and month", rows: neighbourhoods, columns: months, values: activitiesMap, partial: partial)]),
                Section(id: "totals", title: "Per neighbourhood, whole period", columns: columns, rows: totals),
                Section(id: "target-groups", title: "Reach of target groups, per neighbourhood, whole period",
                        columns: ["neighbourhood", "target group", "contacts", "share of contacts", "activities"], rows: reach),
            ],
            notes: ["Outreach share: home visits and door knocks among all contacts. Active members: members at the end of the month (or of the period). Initiatives realised: first activity held in the month."])
    }
}
