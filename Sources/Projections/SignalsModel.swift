import JSON
import TextFormats

/// One row per signal: its category, where it went, the time spent in each stage of its
/// lifecycle, whether policy answered before the response due date, feedback and reopenings.
public final class SignalsModel: StreamProjector {
    public static let name = "signals"
    public static let version = 1
    public static let summary = "per signal: category, recipient, state, time in each stage, answers against due dates, feedback, reopenings"
    public static let types: Set<String> = [
        "signal.raised", "signal.bundled", "signal.escalated", "signal.acknowledged", "signal.responded",
        "signal.resolved", "signal.feedback_given", "signal.reopened",
    ]

    /// The stages a signal waits in (terminal states are not stages).
    public static let stages = ["RAISED", "ESCALATED", "ACKNOWLEDGED", "RESPONDED"]

    public struct Row: RowValue, Equatable {
        public var neighbourhood = ""
        public var category = ""
        public var structural = false
        public var recipient = ""
        public var state = ""
        public var raised: Int64?
        /// When the signal entered its current state.
        public var enteredAt: Int64 = 0
        /// Microseconds spent in each of `stages`, for stages already left.
        public var stageMicros = [Int64](repeating: 0, count: SignalsModel.stages.count)
        public var escalations: Int64 = 0
        /// The response due date (a day number) of an escalation not yet answered.
        public var pendingDue: Int64?
        public var answered: Int64 = 0
        public var answeredBeforeDue: Int64 = 0
        public var resolved: Int64?
        public var feedbackAfterResolution = false
        public var feedbackCount: Int64 = 0
        public var reopened: Int64 = 0

        public init() {}

        public var isOpen: Bool { raised != nil && state != "RESOLVED" && state != "BUNDLED" }

        public mutating func fields<V: RowFieldVisitor>(_ v: inout V) throws(V.Failure) {
            try v.visit(&neighbourhood); try v.visit(&category); try v.visit(&structural)
            try v.visit(&recipient); try v.visit(&state); try v.visit(&raised); try v.visit(&enteredAt)
            // One per stage, without a count: the stages are fixed.
            for i in stageMicros.indices { try v.visit(&stageMicros[i]) }
            try v.visit(&escalations); try v.visit(&pendingDue); try v.visit(&answered)
            try v.visit(&answeredBeforeDue); try v.visit(&resolved); try v.visit(&feedbackAfterResolution)
            try v.visit(&feedbackCount); try v.visit(&reopened)
        }

        /// Leaves the current state at `t` (late entries can make time run backwards; such a
        /// stay counts as zero) and enters `next`.
        mutating func move(to next: String, at t: Int64) {
            if let i = SignalsModel.stages.firstIndex(of: state) { stageMicros[i] += max(0, t - enteredAt) }
            state = next
            enteredAt = t
        }
    }

    public let rows = Rows<Row>("signals")

    public init() {}

    public static func fold(_ r: inout Row, _ e: ProjectedEvent) {
        let d = e.data
        let t = e.occurredAt
        switch e.kind {
        case .signalRaised:
            r.neighbourhood = e.neighbourhood
            r.category = d.string("category") ?? ""
            r.structural = d.bool("structural") ?? false
            r.raised = t
            r.move(to: "RAISED", at: t)
        case .signalBundled: r.move(to: "BUNDLED", at: t)
        case .signalEscalated:
            r.escalations += 1
            r.recipient = d.string("recipient") ?? r.recipient
            r.pendingDue = d.string("response_due").flatMap { RFC3339.parse($0) }.map { Int64(Calendar.day(ofMicros: $0)) }
            r.move(to: "ESCALATED", at: t)
        case .signalAcknowledged: r.move(to: "ACKNOWLEDGED", at: t)
        case .signalResponded:
            if let due = r.pendingDue {
                r.answered += 1
                if Int64(e.day) <= due { r.answeredBeforeDue += 1 }
                r.pendingDue = nil
            }
            r.move(to: "RESPONDED", at: t)
        case .signalResolved:
            r.resolved = t
            r.feedbackAfterResolution = false
            r.move(to: "RESOLVED", at: t)
        case .signalFeedbackGiven:
            r.feedbackCount += 1
            if r.state == "RESOLVED" { r.feedbackAfterResolution = true }
        case .signalReopened:
            r.reopened += 1
            r.move(to: "RAISED", at: t)
        default: break
        }
    }
}
