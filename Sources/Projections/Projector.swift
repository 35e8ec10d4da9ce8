/// A projector folds events into one read model. It must be deterministic: the same events in
/// the same order give the same rows, byte for byte. Bump `version` whenever the fold or the row
/// format changes; the stored read model is then rebuilt on the next run.
public protocol Projector: AnyObject {
    static var name: String { get }
    static var version: Int { get }
    static var summary: String { get }
    /// The event types the fold reads (after upcasting); all others pass it by.
    static var types: Set<String> { get }
    /// Whether the fold needs the personal (I and S) fields; those arrive only with the master key.
    static var readsPersonalData: Bool { get }
    /// The fold's cost relative to the others (measured on a generated year), for splitting a
    /// replay over cores.
    static var foldWeight: Double { get }

    init()
    var tables: [RowTable] { get }
    func apply(_ event: ProjectedEvent)
    /// Called once a fold has passed every event: a projector that keeps a faster working copy
    /// of its rows during the fold writes them back here.
    func finish()
    /// An earlier event was amended (`amended` is its corrected form) or voided (`amended` nil).
    func correct(original: ProjectedEvent, amended: ProjectedEvent?, refold: Refold) throws
}

extension Projector {
    public static var readsPersonalData: Bool { false }
    public static var foldWeight: Double { 1 }
    public var name: String { Self.name }
    /// A fresh projector of this kind, as an existential (what the engine handles).
    public static func make() -> any Projector { Self() }
    public func finish() {}
}

/// Re-reads a stream's events, as corrected so far, through a projector: how projectors whose
/// rows are per stream take a correction (the row is built again from its stream).
public struct Refold {
    let body: (String) throws -> Void
    public func stream(_ stream: String) throws { try body(stream) }
}

/// A projector whose rows are one per stream (a referral, a signal, a resident...): its fold
/// changes the row of the event's stream, and a correction rebuilds that row from the stream's
/// events.
public protocol StreamProjector: Projector {
    associatedtype Row: RowValue
    var rows: Rows<Row> { get }
    /// Folds one event into its stream's row.
    static func fold(_ row: inout Row, _ event: ProjectedEvent)
}

extension StreamProjector {
    public var tables: [RowTable] { [rows] }

    public func apply(_ event: ProjectedEvent) { rows.update(streamOf: event) { Self.fold(&$0, event) } }

    public func correct(original: ProjectedEvent, amended: ProjectedEvent?, refold: Refold) throws {
        rows.remove(original.stream)
        try refold.stream(original.stream)
    }
}

/// Every projector Buurtboek knows, in the order reports list them.
public enum Projectors {
    public static let all: [any Projector.Type] = [
        NeighbourhoodOverview.self, ReferralsModel.self, SignalsModel.self,
        InitiativesModel.self, VolunteersModel.self, NetworkModel.self, WellbeingModel.self,
    ]

    public static func named(_ name: String) -> (any Projector.Type)? {
        all.first { $0.name == name }
    }
}
