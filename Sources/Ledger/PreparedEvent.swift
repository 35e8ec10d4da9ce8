import Catalogue

/// The stream version an appender expects to find, for optimistic concurrency.
public enum ExpectedVersion: Equatable, Sendable, CustomStringConvertible {
    case any, none, exists
    case exactly(UInt64)

    public init?(_ text: String) {
        switch text {
        case "any": self = .any
        case "none": self = .none
        case "exists": self = .exists
        default:
            guard let n = UInt64(text) else { return nil }
            self = .exactly(n)
        }
    }

    public var description: String {
        switch self {
        case .any: return "any"
        case .none: return "none"
        case .exists: return "exists"
        case .exactly(let n): return String(n)
        }
    }

    func admits(_ current: UInt64) -> Bool {
        switch self {
        case .any: return true
        case .none: return current == 0
        case .exists: return current > 0
        case .exactly(let n): return current == n
        }
    }
}

/// One lifecycle machine's part in an event: which instance it moves and the transitions whose
/// guards the event's data passes. Computed before the write transaction, so the writer only
/// looks up states.
struct LifecycleStep: Sendable {
    let lifecycle: Lifecycle
    let instance: String
    /// Bit i set: transition i of the lifecycle applies and its guard passes.
    let candidates: UInt64
}

/// What `export` adds to an event, given back to `import --restore` to rebuild the same log.
public struct RestoredPlacement: Sendable {
    let position: UInt64
    let streamVersion: UInt64
    let recordedAt: Int64
    let leafHash: Hash?
}

/// An event that passed every check that needs no ledger state: envelope, schema, limits.
/// Its data is already canonical and split into the public and personal sections.
public struct PreparedEvent: Sendable {
    public let source: String
    public let id: [UInt8]
    public let type: EventType
    public let stream: String
    public let expected: ExpectedVersion
    public let occurredAt: Int64
    let occurredAtGiven: Bool
    public let recordedBy: String
    public let neighbourhood: String
    public let correlationId: String
    public let causationId: String
    public let data: [UInt8]
    /// The personal section as stored: sealed when `flags` says so.
    public let personal: [UInt8]
    let flags: UInt8
    /// The clear personal fields (canonical JSON), kept only in memory, to compare retries.
    let personalClear: [UInt8]
    /// The resident this event is about, if any (its stream, or its `resident_id`).
    public let resident: String?
    /// State keys of the consents this event needs (each must be GIVEN), with their description.
    let consents: [(key: [UInt8], text: String)]
    let steps: [LifecycleStep]
    let restore: RestoredPlacement?

    /// The first words of every message about this event.
    var label: String { "\(source) (\(type.name), stream \(stream))" }

    func record(streamVersion: UInt64, recordedAt: Int64) -> Record {
        Record(schemaVersion: UInt16(type.version), streamVersion: streamVersion, occurredAt: occurredAt,
               recordedAt: recordedAt, id: id, type: type.name, stream: stream, recordedBy: recordedBy,
               neighbourhood: neighbourhood, correlationId: correlationId, causationId: causationId,
               data: data, personal: personal, flags: flags)
    }

    /// Same content as a stored event, for idempotent retries: everything the appender said,
    /// and occurredAt only when the appender gave it (a retry that left it out defaults anew).
    func sameContent(as stored: RecordView, sealer: PersonalDataSealer?) throws -> Bool {
        guard stored.type == type.name && Int(stored.schemaVersion) == type.version && stored.stream == stream
            && stored.recordedBy == recordedBy && stored.neighbourhood == neighbourhood
            && stored.correlationId == correlationId && stored.causationId == causationId
            && stored.data.elementsEqual(data) && (!occurredAtGiven || stored.occurredAt == occurredAt) else { return false }
        // Sealing is randomized: compare what was sealed, not the ciphertext.
        if stored.isSealed && flags & Record.sealedFlag != 0 && restore == nil {
            guard let sealer, case .clear(let clear) = try sealer.open(stored.personal, eventId: stored.id) else { return false }
            return clear == personalClear
        }
        return stored.personal.elementsEqual(personal)
    }
}
