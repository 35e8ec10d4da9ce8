import Catalogue
import JSON
import Merkle

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

    var isExact: Bool {
        if case .exactly = self { return true }
        return false
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
    /// The name of the state's entry in the stream's head: the lifecycle's name, or for a
    /// machine with instances name ‖ 0x00 ‖ instance (see `Keys.instanceState`).
    let key: [UInt8]
    /// Bit i set: transition i of the lifecycle applies and its guard passes.
    let candidates: UInt64

    /// The steps of an event of `type` with `data`: for each machine that concerns the type,
    /// the instance its fields name and the transitions whose guards its fields pass. The
    /// writer applies them at append; `verify` replays them.
    static func steps(of type: EventType, data: JSONNode) -> [LifecycleStep] {
        var steps: [LifecycleStep] = []
        for (lifecycle, indexes) in type.lifecyclePlan {
            var instance = ""
            for (i, field) in lifecycle.instanceBy.enumerated() {
                if i > 0 { instance += "\u{1F}" }
                instance += data[field].map(EventPreparer.scalarText) ?? ""
            }
            let candidates = lifecycle.candidates(among: indexes) { data[$0].map(EventPreparer.scalarText) }
            let key = lifecycle.instanceBy.isEmpty ? lifecycle.nameBytes : Keys.instanceState(lifecycle: lifecycle.name, instance: instance)
            steps.append(LifecycleStep(lifecycle: lifecycle, instance: instance, key: key, candidates: candidates))
        }
        return steps
    }
}

/// What `export` adds to an event, given back to `import --restore` to rebuild the same log.
public struct RestoredPlacement: Sendable {
    let position: UInt64
    let streamVersion: UInt64
    let recordedAt: Int64
    let leafHash: Hash?
}

/// Where an event came from, for messages: a line of an input file, or a named source such as
/// "event". A line number is formatted only when a message needs it: an import has millions.
public struct EventSource: Sendable, CustomStringConvertible, ExpressibleByStringInterpolation {
    let name: String
    let line: Int

    public static func line(_ number: Int) -> EventSource { EventSource(name: "", line: number) }
    private init(name: String, line: Int) { self.name = name; self.line = line }
    public init(stringLiteral value: String) { self.init(name: value, line: 0) }
    public init(_ name: String) { self.init(name: name, line: 0) }
    public var description: String { name.isEmpty ? "line \(line)" : name }
}

/// An event that passed every check that needs no ledger state: envelope, schema, limits.
/// Its data is already canonical and split into the public and personal sections. A class:
/// a batch hands each event on several times, and a copy of a struct this wide costs a
/// reference count per field.
public final class PreparedEvent: Sendable {
    public let source: EventSource
    public let type: EventType
    public let expected: ExpectedVersion
    public let occurredAt: Int64
    let occurredAtGiven: Bool
    /// The clear personal fields (canonical JSON), kept only in memory, to compare retries.
    let personalClear: [UInt8]
    /// The resident this event is about, if any (its stream, or its `resident_id`).
    public let resident: String?
    /// The consents this event needs (each must be GIVEN): the resident's stream, the consent's
    /// entry in its head, and the consent's description.
    let consents: [(stream: [UInt8], key: [UInt8], text: String)]
    let steps: [LifecycleStep]
    let restore: RestoredPlacement?
    /// A recording time the input gave (`import --keep-recorded-at`), used instead of the
    /// ledger's clock: it must not lie before the last recorded event's, nor in the future.
    let givenRecordedAt: Int64?
    /// Refused when it repeats its stream's last event within ten minutes (see
    /// `EventPreparer.refusesDoubles`).
    let refusesDouble: Bool
    /// The encoded record with stream version and recordedAt still 0: encoded while preparing,
    /// on every core, so that the single writer only fills in what the ledger decides. It holds
    /// the envelope, the data and the personal section as stored (sealed when its flags say so).
    let recordTemplate: [UInt8]
    /// Where the stream id's bytes (the key of the streams index) lie in `recordTemplate`. The
    /// id and the stream are read from the template, not kept beside it: two allocations less
    /// for each of a million events.
    let streamRange: Range<Int>

    init(source: EventSource, type: EventType, expected: ExpectedVersion,
         occurredAt: Int64, occurredAtGiven: Bool, personalClear: [UInt8], resident: String?,
         consents: [(stream: [UInt8], key: [UInt8], text: String)], steps: [LifecycleStep], restore: RestoredPlacement?,
         givenRecordedAt: Int64? = nil, refusesDouble: Bool = false, recordTemplate: [UInt8], streamRange: Range<Int>) {
        self.givenRecordedAt = givenRecordedAt
        self.refusesDouble = refusesDouble
        self.source = source
        self.type = type
        self.streamRange = streamRange
        self.expected = expected
        self.occurredAt = occurredAt
        self.occurredAtGiven = occurredAtGiven
        self.personalClear = personalClear
        self.resident = resident
        self.consents = consents
        self.steps = steps
        self.restore = restore
        self.recordTemplate = recordTemplate
    }

    /// Whether the personal section is sealed.
    var flags: UInt8 { recordTemplate[1] }

    /// The event id's 16 bytes.
    public var id: [UInt8] { Array(recordTemplate[Record.idRange]) }
    public var stream: String { String(decoding: recordTemplate[streamRange], as: UTF8.self) }

    func withId<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try recordTemplate.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[Record.idRange])) }
    }

    /// The stream id's bytes, the key of the streams index.
    func withStreamKey<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try recordTemplate.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[streamRange])) }
    }

    /// The first words of every message about this event.
    var label: String { PreparedEvent.label(source, type: type.name, stream: stream) }

    /// The first words of every message about an event: where it came from, its type and stream.
    static func label(_ source: EventSource, type: String, stream: String) -> String { "\(source) (\(type), stream \(stream))" }

    /// The record's leaf hash once placed at `streamVersion` and `recordedAt`: the placed header
    /// (on the stack) and the rest of the template, hashed without assembling the record.
    func leafHash(streamVersion: UInt64, recordedAt: Int64) -> Hash {
        recordTemplate.withUnsafeBytes { template in
            withUnsafeTemporaryAllocation(byteCount: Record.headerSize, alignment: 8) { header in
                header.copyMemory(from: UnsafeRawBufferPointer(rebasing: template[..<Record.headerSize]))
                Record.place(header, streamVersion: streamVersion, recordedAt: recordedAt)
                return Merkle.leafHash(UnsafeRawBufferPointer(header), UnsafeRawBufferPointer(rebasing: template[Record.headerSize...]))
            }
        }
    }

    /// Writes the placed record into `destination` (exactly `recordTemplate.count` bytes).
    func writeRecord(into destination: UnsafeMutableRawBufferPointer, streamVersion: UInt64, recordedAt: Int64) {
        recordTemplate.withUnsafeBytes { destination.copyMemory(from: $0) }
        Record.place(destination, streamVersion: streamVersion, recordedAt: recordedAt)
    }

    /// Same content as a stored event, for idempotent retries: everything the appender said,
    /// and occurredAt only when the appender gave it (a retry that left it out defaults anew).
    /// With `anyTime`, occurredAt is not compared (a likely double entry is the same event at
    /// a time near the stored one's).
    func sameContent(as stored: RecordView, sealer: PersonalDataSealer?, anyTime: Bool = false) throws -> Bool {
        try recordTemplate.withUnsafeBytes { template in
            let mine = try RecordView(template)
            guard stored.typeBytes.elementsEqual(mine.typeBytes) && stored.schemaVersion == mine.schemaVersion
                && stored.streamBytes.elementsEqual(mine.streamBytes) && stored.envelopeText.elementsEqual(mine.envelopeText)
                && stored.data.elementsEqual(mine.data) && (anyTime || !occurredAtGiven || stored.occurredAt == occurredAt) else { return false }
            // Sealing is randomized: compare what was sealed, not the ciphertext.
            if stored.isSealed && flags & Record.sealedFlag != 0 && restore == nil {
                guard let sealer, case .clear(let clear) = try sealer.open(stored.personal, eventId: stored.id) else { return false }
                return clear == personalClear
            }
            return stored.personal.elementsEqual(mine.personal)
        }
    }
}
