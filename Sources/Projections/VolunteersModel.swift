/// One row per volunteer offer: when it was made and matched, to which task, the hours
/// scheduled for the match and the hours logged, and how it ended.
public final class VolunteersModel: StreamProjector {
    public static let name = "volunteers"
    public static let version = 1
    public static let foldWeight = 0.6
    public static let summary = "per volunteer offer: match, task, hours scheduled and logged, how it ended"
    public static let types: Set<String> = ["volunteer.offered", "volunteer.matched", "volunteer.hours_logged", "volunteer.ended"]

    public struct Row: RowValue, Equatable {
        public var neighbourhood = ""
        public var offered: Int64?
        public var matched: Int64?
        public var task = ""
        public var hoursScheduled: Double = 0
        public var hoursLogged: Double = 0
        public var sessions: Int64 = 0
        public var ended: Int64?
        public var endReason = ""

        public init() {}

        /// Matched and not ended at `t`.
        public func isActive(at t: Int64) -> Bool {
            guard let matched, matched <= t else { return false }
            return ended.map { t < $0 } ?? true
        }

        public mutating func fields<V: RowFieldVisitor>(_ v: inout V) throws(V.Failure) {
            try v.visit(&neighbourhood); try v.visit(&offered); try v.visit(&matched)
            try v.visit(&task); try v.visit(&hoursScheduled); try v.visit(&hoursLogged)
            try v.visit(&sessions); try v.visit(&ended); try v.visit(&endReason)
        }
    }

    public let rows = Rows<Row>("volunteers")

    public init() {}

    public static func fold(_ r: inout Row, _ e: ProjectedEvent) {
        let d = e.data
        let t = e.occurredAt
        switch e.kind {
        case .volunteerOffered:
            r.neighbourhood = e.neighbourhood
            r.offered = t
        case .volunteerMatched:
            r.matched = t
            r.task = d.string("task") ?? ""
            r.hoursScheduled = max(0, d.double("hours_scheduled") ?? 0)
        case .volunteerHoursLogged:
            r.hoursLogged += max(0, d.double("hours") ?? 0)
            r.sessions += 1
        case .volunteerEnded:
            r.ended = t
            r.endReason = d.string("reason") ?? ""
        default: break
        }
    }
}
