/// The social fabric: one row per resident's membership history, per tie and per network with
/// its partner organisations. Rows hold pseudonymous ids (R…, org-…) because ties join them;
/// reports never print a resident's id (graph exports number the residents instead).
public final class NetworkModel: StreamProjector {
    public static let name = "network"
    public static let version = 1
    public static let summary = "members' joins and leaves, ties (kind, brokered, neighbourhoods), networks and their partner organisations"
    public static let types: Set<String> = [
        "network.founded", "organisation.joined_network", "organisation.left_network",
        "resident.joined_network", "resident.left_network", "resident.erased", "tie.formed", "tie.ended",
    ]

    /// A stretch of time from `start` until `end` (nil: still running).
    public struct Span: Equatable, Sendable, RowFields {
        public var start: Int64
        public var end: Int64?
        public func covers(_ t: Int64) -> Bool { start <= t && (end.map { t < $0 } ?? true) }

        public init(start: Int64, end: Int64?) { (self.start, self.end) = (start, end) }
        public init() { self.init(start: 0, end: nil) }

        public mutating func fields<V: RowFieldVisitor>(_ v: inout V) throws(V.Failure) {
            try v.visit(&start); try v.visit(&end)
        }
    }

    public struct Partner: Equatable, Sendable, RowFields {
        public var organisation: String
        public var organisationType: String
        public var span: Span

        public init(organisation: String, organisationType: String, span: Span) {
            (self.organisation, self.organisationType, self.span) = (organisation, organisationType, span)
        }
        public init() { self.init(organisation: "", organisationType: "", span: Span()) }

        public mutating func fields<V: RowFieldVisitor>(_ v: inout V) throws(V.Failure) {
            try v.visit(&organisation); try v.visit(&organisationType); try v.visit(&span)
        }
    }

    /// Stored as its raw value; an unknown value (a row from a later version) reads as none.
    public enum Kind: UInt8, Sendable, RowField {
        case none = 0, member, tie, network

        public init(reading r: inout RowReader) throws { self = Kind(rawValue: try r.u8()) ?? .none }
        public func write(to w: inout RowWriter) { w.u8(rawValue) }
    }

    public struct Row: RowValue, Equatable {
        public var kind = Kind.none
        public var neighbourhood = ""
        // member
        public var spans: [Span] = []
        public var erased: Int64?
        // tie
        public var from = "", to = "", fromNeighbourhood = "", toNeighbourhood = "", tieKind = ""
        public var brokered = false
        public var tie: Span?
        // network
        public var theme = ""
        public var partners: [Partner] = []

        public init() {}

        public func isMember(at t: Int64) -> Bool { kind == .member && spans.contains { $0.covers(t) } }

        public mutating func fields<V: RowFieldVisitor>(_ v: inout V) throws(V.Failure) {
            try v.visit(&kind); try v.visit(&neighbourhood)
            try v.visit(&spans); try v.visit(&erased)
            try v.visit(&from); try v.visit(&to); try v.visit(&fromNeighbourhood); try v.visit(&toNeighbourhood)
            try v.visit(&tieKind); try v.visit(&brokered); try v.visit(&tie)
            try v.visit(&theme); try v.visit(&partners)
        }
    }

    public let rows = Rows<Row>("network")

    public init() {}

    public static func fold(_ r: inout Row, _ e: ProjectedEvent) {
        let d = e.data
        let t = e.occurredAt
        switch e.kind {
        case .networkFounded:
            r.kind = .network
            r.neighbourhood = e.neighbourhood
            r.theme = d.string("theme") ?? ""
        case .organisationJoined:
            r.kind = .network
            if r.neighbourhood.isEmpty { r.neighbourhood = e.neighbourhood }
            r.partners.append(Partner(organisation: d.string("organisation_id") ?? "", organisationType: d.string("organisation_type") ?? "",
                                      span: Span(start: t, end: nil)))
        case .organisationLeft:
            let org = d.string("organisation_id") ?? ""
            if let i = r.partners.lastIndex(where: { $0.organisation == org && $0.span.end == nil }) { r.partners[i].span.end = max(t, r.partners[i].span.start) }
        case .residentJoined:
            r.kind = .member
            r.neighbourhood = e.neighbourhood
            r.spans.append(Span(start: t, end: nil))
        case .residentLeft:
            if let i = r.spans.lastIndex(where: { $0.end == nil }) { r.spans[i].end = max(t, r.spans[i].start) }
        case .residentErased:
            r.erased = t
            if let i = r.spans.lastIndex(where: { $0.end == nil }) { r.spans[i].end = max(t, r.spans[i].start) }
        case .tieFormed:
            r.kind = .tie
            r.neighbourhood = e.neighbourhood
            r.from = d.string("from_id") ?? ""
            r.to = d.string("to_id") ?? ""
            r.fromNeighbourhood = d.string("from_neighbourhood") ?? e.neighbourhood
            r.toNeighbourhood = d.string("to_neighbourhood") ?? e.neighbourhood
            r.tieKind = d.string("tie_kind") ?? ""
            r.brokered = d.bool("brokered_by_worker") ?? false
            r.tie = Span(start: t, end: nil)
        case .tieEnded:
            if let start = r.tie?.start { r.tie?.end = max(t, start) }
        default: break
        }
    }
}
