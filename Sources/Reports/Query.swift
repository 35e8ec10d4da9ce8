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

    public func includes(_ neighbourhood: String) -> Bool { neighbourhoods.isEmpty || neighbourhoods.contains(neighbourhood) }

    /// The end of the period, or the reference moment when that comes first.
    public var end: Int64 { min(to ?? reference, reference) }
}

/// The reports, each built from the read models it names.
public enum ReportKind: String, CaseIterable, Sendable {
    case neighbourhoods, referrals, signals, initiatives, volunteers, network, wellbeing

    public var summary: String {
        switch self {
        case .neighbourhoods: return "per neighbourhood and month: members, contacts and outreach, activities, participants, initiatives, referrals, signals, volunteer hours"
        case .referrals: return "referral funnel, rates and days between steps, per service, organisation, neighbourhood and urgency"
        case .signals: return "signals per category and recipient: days per stage, answers before the due date, feedback, reopenings; open signals"
        case .initiatives: return "initiative funnel proposed → supported → funded → realised → sustained, per theme and neighbourhood"
        case .volunteers: return "volunteer offers: matched, days to a match, active matches, hours logged against hours scheduled"
        case .network: return "members, ties, density, brokered and bridging ties, partner organisations (also as GraphML or DOT)"
        case .wellbeing: return "baseline → follow-up change per instrument (ONS4 items apart); needs the master key"
        }
    }

    public var projectors: [any Projector.Type] {
        switch self {
        case .neighbourhoods: return [NeighbourhoodOverview.self, InitiativesModel.self, NetworkModel.self]
        case .referrals: return [ReferralsModel.self]
        case .signals: return [SignalsModel.self]
        case .initiatives: return [InitiativesModel.self]
        case .volunteers: return [VolunteersModel.self]
        case .network: return [NetworkModel.self]
        case .wellbeing: return [WellbeingModel.self]
        }
    }

    public func build(_ models: [any Projector], _ query: ReportQuery) -> Report {
        func model<P: Projector>(_ type: P.Type) -> P { models.compactMap { $0 as? P }.first! }
        switch self {
        case .neighbourhoods:
            return OverviewReport.build(model(NeighbourhoodOverview.self), model(InitiativesModel.self), model(NetworkModel.self), query)
        case .referrals: return ReferralsReport.build(model(ReferralsModel.self), query)
        case .signals: return SignalsReport.build(model(SignalsModel.self), query)
        case .initiatives: return InitiativesReport.build(model(InitiativesModel.self), query)
        case .volunteers: return VolunteersReport.build(model(VolunteersModel.self), query)
        case .network: return NetworkReport.build(model(NetworkModel.self), query)
        case .wellbeing: return WellbeingReport.build(model(WellbeingModel.self), query)
        }
    }
}

/// Order statistics as reports use them: the median is the middle value (the mean of the two
/// middle ones for an even count); the 90th percentile is the nearest-rank value, the
/// ⌈0.9·n⌉-th smallest.
public enum Statistics {
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    public static func percentile90(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        let rank = Int((0.9 * Double(s.count)).rounded(.up))
        return s[max(0, rank - 1)]
    }

    /// Both order statistics from one sort.
    public static func medianAndPercentile90(_ values: [Double]) -> (median: Double?, p90: Double?) {
        guard !values.isEmpty else { return (nil, nil) }
        let s = values.sorted()
        let median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        return (median, s[max(0, Int((0.9 * Double(s.count)).rounded(.up)) - 1)])
    }

    public static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    public static func days(_ from: Int64?, _ to: Int64?) -> Double? {
        guard let from, let to, to >= from else { return nil }
        return Double(to - from) / Double(Calendar.microsPerDay)
    }
}

/// Month labels (YYYY-MM) and their bounds.
enum Months {
    static func label(day: Int) -> String {
        let c = Calendar.civil(day)
        return String(c.year) + "-" + (c.month < 10 ? "0" : "") + String(c.month)
    }

    static func label(micros: Int64) -> String { label(day: Calendar.day(ofMicros: micros)) }

    /// The first instant after the month that `label` names.
    static func end(of label: String) -> Int64 {
        let parts = label.split(separator: "-").compactMap { Int($0) }
        let (y, m) = (parts[0], parts[1])
        let next = m == 12 ? Calendar.days(year: y + 1, month: 1, day: 1) : Calendar.days(year: y, month: m + 1, day: 1)
        return Int64(next) * Calendar.microsPerDay
    }
}
