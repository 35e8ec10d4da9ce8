import Projections

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
