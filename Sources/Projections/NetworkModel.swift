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
    public struct Span: Equatable, Sendable {
        public var start: Int64
        public var end: Int64?
        public func covers(_ t: Int64) -> Bool { start <= t && (end.map { t < $0 } ?? true) }
    }

    public struct Partner: Equatable, Sendable {
        public var organisation: String
        public var organisationType: String
        public var span: Span
    }

    public enum Kind: UInt8, Sendable { case none = 0, member, tie, network }

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

        public init(reading r: inout RowReader) throws {
            kind = Kind(rawValue: try r.u8()) ?? .none
            neighbourhood = try r.string()
            spans = try (0..<r.int()).map { _ in Span(start: try r.int(), end: try r.optionalInt()) }
            erased = try r.optionalInt()
            from = try r.string(); to = try r.string(); fromNeighbourhood = try r.string(); toNeighbourhood = try r.string()
            tieKind = try r.string(); brokered = try r.bool()
            if try r.bool() { tie = Span(start: try r.int(), end: try r.optionalInt()) }
            theme = try r.string()
            partners = try (0..<r.int()).map { _ in
                Partner(organisation: try r.string(), organisationType: try r.string(), span: Span(start: try r.int(), end: try r.optionalInt()))
            }
        }

        public func write(to w: inout RowWriter) {
            w.u8(kind.rawValue)
            w.string(neighbourhood)
            w.int(Int64(spans.count))
            for s in spans { w.int(s.start); w.optionalInt(s.end) }
            w.optionalInt(erased)
            w.string(from); w.string(to); w.string(fromNeighbourhood); w.string(toNeighbourhood)
            w.string(tieKind); w.bool(brokered)
            w.bool(tie != nil)
            if let tie { w.int(tie.start); w.optionalInt(tie.end) }
            w.string(theme)
            w.int(Int64(partners.count))
            for p in partners { w.string(p.organisation); w.string(p.organisationType); w.int(p.span.start); w.optionalInt(p.span.end) }
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
