import JSON

/// The fields of an event as a projector reads them: the stored data, with the values of any
/// correction or upcast laid over it. Reading never copies the stored bytes; the overlay is
/// empty for the great majority of events.
public struct EventData {
    private let document: LazyDocument?
    private let parsed: JSONNode?
    let overlay: [String: JSONValue]

    init(node: JSONNode?, overlay: [String: JSONValue] = [:]) {
        self.parsed = node
        self.document = nil
        self.overlay = overlay
    }

    init(document: LazyDocument, overlay: [String: JSONValue] = [:]) {
        self.parsed = nil
        self.document = document
        self.overlay = overlay
    }

    /// The stored object, parsed on first use: many folds count an event without reading a field.
    var node: JSONNode? { parsed ?? document?.root }

    public func string(_ key: String) -> String? {
        if !overlay.isEmpty, let v = overlay[key] { return v.string }
        return node?[key]?.string
    }

    public func bool(_ key: String) -> Bool? {
        if !overlay.isEmpty, let v = overlay[key] { return v.bool }
        return node?[key]?.bool
    }

    public func int(_ key: String) -> Int64? {
        if !overlay.isEmpty, let v = overlay[key] { return v.int }
        return node?[key]?.int
    }

    public func double(_ key: String) -> Double? {
        if !overlay.isEmpty, let v = overlay[key] { return v.double }
        return node?[key]?.double
    }

    /// The members of an object field as (name, number) pairs, in stored (canonical) order.
    public func numbers(in key: String) -> [(String, Double)] {
        if !overlay.isEmpty, let v = overlay[key] {
            return v.object.map { $0.compactMap { m in m.value.double.map { (m.key, $0) } } } ?? []
        }
        guard let object = node?[key], object.kind == .object else { return [] }
        return object.members.compactMap { m in m.value.double.map { (m.name, $0) } }
    }

    /// An owned copy of every field, overlay applied: for the reference paths and tests.
    public var object: JSONObject {
        var out = node?.value.object ?? JSONObject()
        for (k, v) in overlay.sorted(by: { $0.key < $1.key }) { out[k] = v }
        return out
    }
}

/// One event as every projector sees it: the envelope, the non-personal data, and (only for a
/// projector that declares it reads them, and only with the master key) the personal fields.
/// Events reach projectors already upcast to the latest version of their type.
public struct ProjectedEvent {
    public let position: UInt64
    public let type: String
    /// The type as a number, for projectors' switches (comparing strings per event is slow).
    public let kind: EventKind
    public let schemaVersion: Int
    /// The stream's bytes, valid while the event is; `stream` makes the string on demand.
    let streamBytes: UnsafeRawBufferPointer
    /// The neighbourhood code's bytes; `neighbourhood` makes the string on demand.
    let neighbourhoodBytes: UnsafeRawBufferPointer
    public let occurredAt: Int64
    public let recordedAt: Int64
    public let data: EventData
    /// nil when the event has no personal fields, the caller holds no key, or the key was erased.
    public let personal: EventData?

    public var stream: String { String(decoding: streamBytes, as: UTF8.self) }
    public var neighbourhood: String { String(decoding: neighbourhoodBytes, as: UTF8.self) }

    /// The day (since 1970) the event occurred on.
    public var day: Int { Calendar.day(ofMicros: occurredAt) }
}

/// The event types projectors switch on.
public enum EventKind: UInt8, Sendable {
    case residentJoined, residentLeft, residentErased, networkFounded, organisationJoined, organisationLeft
    case tieFormed, tieEnded, contactRecorded, activityHeld
    case initiativeProposed, initiativeSupported, initiativeFundingDecided, initiativeClosed
    case volunteerOffered, volunteerMatched, volunteerHoursLogged, volunteerEnded
    case referralMade, referralAccepted, referralDeclined, referralRejected, referralFirstContact, referralCompleted, referralClosed
    case signalRaised, signalBundled, signalEscalated, signalAcknowledged, signalResponded, signalResolved
    case signalFeedbackGiven, signalReopened
    case wellbeingMeasured, correction
    case other

    static let byName: [String: EventKind] = [
        "resident.joined_network": .residentJoined, "resident.left_network": .residentLeft, "resident.erased": .residentErased,
        "network.founded": .networkFounded, "organisation.joined_network": .organisationJoined,
        "organisation.left_network": .organisationLeft, "tie.formed": .tieFormed, "tie.ended": .tieEnded,
        "contact.recorded": .contactRecorded, "activity.held": .activityHeld, "initiative.proposed": .initiativeProposed,
        "initiative.supported": .initiativeSupported, "initiative.funding_decided": .initiativeFundingDecided,
        "initiative.closed": .initiativeClosed, "volunteer.hours_logged": .volunteerHoursLogged,
        "volunteer.offered": .volunteerOffered, "volunteer.matched": .volunteerMatched, "volunteer.ended": .volunteerEnded,
        "referral.made": .referralMade, "referral.accepted": .referralAccepted, "referral.declined": .referralDeclined,
        "referral.rejected": .referralRejected, "referral.first_contact_made": .referralFirstContact,
        "referral.completed": .referralCompleted, "referral.closed": .referralClosed,
        "signal.raised": .signalRaised, "signal.bundled": .signalBundled, "signal.escalated": .signalEscalated,
        "signal.acknowledged": .signalAcknowledged, "signal.responded": .signalResponded, "signal.resolved": .signalResolved,
        "signal.feedback_given": .signalFeedbackGiven, "signal.reopened": .signalReopened,
        "wellbeing.measured": .wellbeingMeasured, "ledger.correction_recorded": .correction,
    ]

    public init(name: String) { self = Self.byName[name] ?? .other }
}

/// A record's data, parsed only when a projector first reads a field. One per reader, reset for
/// each event; the nodes live until the next event's parse.
final class LazyDocument {
    private let parser = JSONParser()
    private var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
    private var parsedRoot: JSONNode?
    private var done = false
    /// A stored document that did not parse (a damaged record): the fold reports it.
    private(set) var failure: Error?

    func reset(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        parsedRoot = nil
        done = false
    }

    var root: JSONNode? {
        if !done {
            done = true
            do { parsedRoot = try parser.document(bytes) } catch { failure = failure ?? error }
        }
        return parsedRoot
    }
}
