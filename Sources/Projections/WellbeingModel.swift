/// Wellbeing per resident and instrument: the first baseline and the latest follow-up. The
/// scores are special-category (S) fields, sealed in the log, so this fold needs the master key;
/// rows are keyed by the resident's stream so that erasing the resident removes them
/// (`Projection.purge`), exactly as a rebuild would, which can no longer open their scores.
public final class WellbeingModel: StreamProjector {
    public static let name = "wellbeing"
    public static let version = 1
    public static let foldWeight = 0.5
    public static let summary = "per resident and instrument: first baseline and latest follow-up scores (ONS4 items kept apart)"
    public static let types: Set<String> = ["wellbeing.measured"]
    public static let readsPersonalData = true

    /// The items of each instrument, in their stored order. ONS4's four questions are separate
    /// measures and are never added up.
    public static let items: [String: [String]] = [
        "ons4": ["life_satisfaction", "worthwhile", "happiness", "anxiety"],
        "wemwbs": ["score"], "swemwbs": ["score"], "participation_ladder": ["score"],
    ]
    /// Items on which a lower score is the better one.
    public static let lowerIsBetter: Set<String> = ["anxiety"]

    public struct Measurement: Equatable, Sendable, RowFields {
        public var at: Int64
        public var scores: [Double]

        public init(at: Int64, scores: [Double]) { (self.at, self.scores) = (at, scores) }
        public init() { self.init(at: 0, scores: []) }

        public mutating func fields<V: RowFieldVisitor>(_ v: inout V) throws(V.Failure) {
            try v.visit(&at); try v.visit(&scores)
        }
    }

    public struct Instrument: Equatable, Sendable, RowFields {
        public var name: String
        public var baseline: Measurement?
        public var followUp: Measurement?

        public init(name: String, baseline: Measurement? = nil, followUp: Measurement? = nil) {
            (self.name, self.baseline, self.followUp) = (name, baseline, followUp)
        }
        public init() { self.init(name: "", baseline: nil, followUp: nil) }

        public mutating func fields<V: RowFieldVisitor>(_ v: inout V) throws(V.Failure) {
            try v.visit(&name); try v.visit(&baseline); try v.visit(&followUp)
        }
    }

    public struct Row: RowValue, Equatable {
        public var neighbourhood = ""
        public var instruments: [Instrument] = []

        public init() {}

        public mutating func fields<V: RowFieldVisitor>(_ v: inout V) throws(V.Failure) {
            try v.visit(&neighbourhood); try v.visit(&instruments)
        }
    }

    public let rows = Rows<Row>("wellbeing")

    public init() {}

    /// Only events whose scores can be read make a row: an erased resident leaves none, as the
    /// purge at erasure leaves none.
    public func apply(_ e: ProjectedEvent) {
        guard let reading = Self.reading(e) else { return }
        rows.update(streamOf: e) { Self.record(&$0, reading, e) }
    }

    public static func fold(_ r: inout Row, _ e: ProjectedEvent) {
        if let reading = reading(e) { record(&r, reading, e) }
    }

    private static func record(_ r: inout Row, _ reading: (String, String, Measurement), _ e: ProjectedEvent) {
        let (instrument, moment, m) = reading
        r.neighbourhood = e.neighbourhood
        let i = r.instruments.firstIndex { $0.name == instrument } ?? {
            r.instruments.append(Instrument(name: instrument))
            return r.instruments.count - 1
        }()
        if moment == "baseline" {
            if r.instruments[i].baseline == nil { r.instruments[i].baseline = m }
        } else if r.instruments[i].followUp.map({ $0.at <= m.at }) ?? true {
            r.instruments[i].followUp = m
        }
        r.instruments.sort { $0.name < $1.name }
    }

    /// The instrument, the moment and the scores of a measurement; nil without the clear scores.
    static func reading(_ e: ProjectedEvent) -> (String, String, Measurement)? {
        guard let personal = e.personal, let instrument = e.data.string("instrument"),
              let items = items[instrument], let moment = e.data.string("moment") else { return nil }
        if instrument == "ons4" {
            let given = Dictionary(personal.numbers(in: "ons4"), uniquingKeysWith: { a, _ in a })
            let values = items.compactMap { given[$0] }
            guard values.count == items.count else { return nil }
            return (instrument, moment, Measurement(at: e.occurredAt, scores: values))
        }
        guard let score = personal.double("score") else { return nil }
        return (instrument, moment, Measurement(at: e.occurredAt, scores: [score]))
    }
}
