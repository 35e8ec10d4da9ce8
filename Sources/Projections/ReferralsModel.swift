import JSON
import TextFormats

/// One row per referral: where it went, how it was handed over, and when each step of its
/// lifecycle happened (occurredAt, microseconds). Rates and durations are computed from these
/// rows at report time, for whatever period and grouping the analyst asks.
public final class ReferralsModel: StreamProjector {
    public static let name = "referrals"
    public static let version = 1
    public static let foldWeight = 1.2
    public static let summary = "per referral: target organisation and service, handover, urgency, due date and the time of each lifecycle step"
    public static let types: Set<String> = [
        "referral.made", "referral.accepted", "referral.declined", "referral.rejected",
        "referral.first_contact_made", "referral.completed", "referral.closed",
    ]

    public struct Row: RowValue, Equatable {
        public var neighbourhood = ""
        public var organisation = ""
        public var service = ""
        public var handover = ""
        public var supportLevel = ""
        public var urgency = ""
        /// The due date as a day number (days since 1970).
        public var due: Int64?
        public var made: Int64?
        public var accepted: Int64?
        public var declined: Int64?
        public var rejected: Int64?
        public var firstContact: Int64?
        public var accompanied: Bool?
        public var completed: Int64?
        public var closed: Int64?
        public var closeReason = ""
        public var feedbackSent: Bool?

        public init() {}

        /// Still waiting on someone: made and not yet declined, rejected, completed or closed.
        public var isOpen: Bool { made != nil && declined == nil && rejected == nil && completed == nil && closed == nil }

        public mutating func fields<V: RowFieldVisitor>(_ v: inout V) throws(V.Failure) {
            try v.visit(&neighbourhood); try v.visit(&organisation); try v.visit(&service)
            try v.visit(&handover); try v.visit(&supportLevel); try v.visit(&urgency)
            try v.visit(&due); try v.visit(&made); try v.visit(&accepted)
            try v.visit(&declined); try v.visit(&rejected); try v.visit(&firstContact)
            try v.visit(&accompanied); try v.visit(&completed); try v.visit(&closed)
            try v.visit(&closeReason); try v.visit(&feedbackSent)
        }
    }

    public let rows = Rows<Row>("referrals")

    public init() {}

    public static func fold(_ r: inout Row, _ e: ProjectedEvent) {
        let d = e.data
        let t = e.occurredAt
        switch e.kind {
        case .referralMade:
            r.neighbourhood = e.neighbourhood
            r.organisation = d.string("target_organisation") ?? ""
            r.service = d.string("service") ?? ""
            r.handover = d.string("handover") ?? ""
            r.supportLevel = d.string("support_level") ?? ""
            r.urgency = d.string("urgency") ?? ""
            r.due = d.string("due_date").flatMap { RFC3339.parse($0) }.map { Int64(Calendar.day(ofMicros: $0)) }
            r.made = t
        case .referralAccepted: r.accepted = t
        case .referralDeclined: r.declined = t
        case .referralRejected: r.rejected = t
        case .referralFirstContact:
            r.firstContact = t
            r.accompanied = d.bool("accompanied_by_referrer")
        case .referralCompleted: r.completed = t
        case .referralClosed:
            r.closed = t
            r.closeReason = d.string("reason") ?? ""
            r.feedbackSent = d.bool("feedback_to_referrer_sent")
        default: break
        }
    }
}
