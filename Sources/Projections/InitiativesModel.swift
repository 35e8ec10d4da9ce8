/// One row per initiative: theme, support, the funding decision, its activities and how it
/// ended. The funnel proposed → supported → funded → realised → sustained is read off these.
public final class InitiativesModel: StreamProjector {
    public static let name = "initiatives"
    public static let version = 1
    public static let summary = "per initiative: theme, support, funding decision, first and later activities, outcome"
    public static let types: Set<String> = [
        "initiative.proposed", "initiative.supported", "initiative.funding_decided", "activity.held", "initiative.closed",
    ]

    public struct Row: RowValue, Equatable {
        public var neighbourhood = ""
        public var theme = ""
        public var proposed: Int64?
        public var supported: Int64?
        public var supportCount: Int64 = 0
        public var fundingDecision = ""
        public var fundingDecided: Int64?
        public var amountRequested: Double = 0
        public var amountGranted: Double = 0
        public var firstActivity: Int64?
        public var activities: Int64 = 0
        public var attendance: Int64 = 0
        public var closed: Int64?
        public var outcome = ""

        public init() {}

        public var funded: Bool { fundingDecision == "granted" || fundingDecision == "partial" }
        /// Carried on by the residents themselves: the aim of the work.
        public var sustained: Bool { outcome == "continued_independently" }

        public mutating func fields<V: RowFieldVisitor>(_ v: inout V) throws(V.Failure) {
            try v.visit(&neighbourhood); try v.visit(&theme); try v.visit(&proposed)
            try v.visit(&supported); try v.visit(&supportCount); try v.visit(&fundingDecision)
            try v.visit(&fundingDecided); try v.visit(&amountRequested); try v.visit(&amountGranted)
            try v.visit(&firstActivity); try v.visit(&activities); try v.visit(&attendance)
            try v.visit(&closed); try v.visit(&outcome)
        }
    }

    public let rows = Rows<Row>("initiatives")

    public init() {}

    public static func fold(_ r: inout Row, _ e: ProjectedEvent) {
        let d = e.data
        let t = e.occurredAt
        switch e.kind {
        case .initiativeProposed:
            r.neighbourhood = e.neighbourhood
            r.theme = d.string("theme") ?? ""
            r.proposed = t
        case .initiativeSupported:
            r.supported = min(r.supported ?? t, t)
            r.supportCount += 1
        case .initiativeFundingDecided:
            r.fundingDecision = d.string("decision") ?? ""
            r.fundingDecided = t
            r.amountRequested = d.double("amount_requested") ?? 0
            r.amountGranted = d.double("amount_granted") ?? 0
        case .activityHeld:
            if r.neighbourhood.isEmpty { r.neighbourhood = e.neighbourhood }
            r.firstActivity = min(r.firstActivity ?? t, t)
            r.activities += 1
            r.attendance += max(0, d.int("attendance") ?? 0)
        case .initiativeClosed:
            r.closed = t
            r.outcome = d.string("outcome") ?? ""
        default: break
        }
    }
}
