import Catalogue
import JSON

/// Turns JSON event lines into prepared events. Not thread-safe (it owns a parser): use one
/// per thread. Lines have the import keys: id, type, schemaVersion, stream, expectedVersion,
/// occurredAt, recordedBy, neighbourhood, correlationId, causationId, data; the export keys
/// position, streamVersion, recordedAt and leafHash are read only when restoring.
public final class EventPreparer {
    public static let maxLineBytes = 1 << 20
    public static let maxEnvelopeText = 200
    /// How far in the future occurredAt may lie: clocks of workers' laptops drift.
    public static let futureTolerance: Int64 = 5 * 60 * 1_000_000

    let catalogue: Catalogue
    let parser = JSONParser()
    let defaultWorker: String?
    let defaultWorkerBytes: [UInt8]?
    /// The envelope's members by slot, for the event being prepared (reused: one per preparer).
    let slots = UnsafeMutableBufferPointer<JSONNode?>.allocate(capacity: EventEnvelope.keys.count)
    /// The id of the event being prepared (reused).
    let idBytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 8)
    let restoring: Bool
    let sealer: PersonalDataSealer?
    /// The register's codes, indexed once this preparer has looked up a few (see
    /// `checkNeighbourhood`), and how many it looked up before.
    var areaIndex: AreaIndex?
    var areaLookups = 0
    /// The data's members split by data class, for the event being prepared (reused).
    var publicMembers: [JSONNode.Member] = [], personalMembers: [JSONNode.Member] = []
    public var now: Int64
    /// Whether a line without an id gets one derived from its content (`DerivedId`) instead of
    /// a new random one: an import run twice then appends nothing twice.
    public let derivesIds: Bool
    /// Whether a line's `recordedAt` is kept as its recording time (`import --keep-recorded-at`,
    /// for a history migrated from elsewhere or generated data) instead of the ledger's clock.
    public let keepsRecordedAt: Bool
    /// Whether `defaultWorker` records every event, a line's own recordedBy refused unless it
    /// names the same worker: the team server records the member its token authenticates.
    public let recorderIsFixed: Bool
    /// Whether an event equal to its stream's last (type, data, worker) that occurred within
    /// ten minutes of it is refused as a likely double entry: a worker's `append`, unless
    /// `--again` says it happened twice. Imports rely on their derived ids instead.
    public let refusesDoubles: Bool

    /// Without a `sealer`, events with personal (I or S) fields are refused: sealing needs the
    /// master key.
    public init(catalogue: Catalogue, defaultWorker: String?, restoring: Bool = false, sealer: PersonalDataSealer? = nil,
                derivesIds: Bool = false, keepsRecordedAt: Bool = false, recorderIsFixed: Bool = false, refusesDoubles: Bool = false,
                now: Int64 = Clock.nowMicros()) {
        self.derivesIds = derivesIds
        self.refusesDoubles = refusesDoubles
        self.recorderIsFixed = recorderIsFixed
        self.keepsRecordedAt = keepsRecordedAt
        self.catalogue = catalogue
        self.defaultWorker = defaultWorker
        self.defaultWorkerBytes = defaultWorker.map { Array($0.utf8) }
        self.restoring = restoring
        self.sealer = sealer?.forOneThread()
        self.now = now
    }

    deinit {
        slots.deallocate()
        idBytes.deallocate()
    }

    public func prepare(line: UnsafeRawBufferPointer, source: EventSource) throws -> PreparedEvent {
        guard line.count <= EventPreparer.maxLineBytes else {
            throw LedgerError.refused("\(source): \(line.count) bytes, more than the \(EventPreparer.maxLineBytes)-byte limit for one event")
        }
        do {
            return try parser.parse(line) { root in try prepare(root, source: source, lineLength: line.count) }
        } catch let error as JSONSyntaxError {
            throw LedgerError.refused("\(source): \(error)")
        }
    }

    public func prepare(line: [UInt8], source: EventSource) throws -> PreparedEvent {
        try line.withUnsafeBytes { try prepare(line: $0, source: source) }
    }

    /// Checks one parsed line and encodes its record template, in the order a worker reads an
    /// event: envelope, data, sealing, then what it asks of the ledger's state.
    private func prepare(_ root: JSONNode, source: EventSource, lineLength: Int) throws -> PreparedEvent {
        let envelope = try EventEnvelope(sorting: root, into: slots, source: source)
        let type = try eventType(envelope)
        let streamBytes = try streamBytes(envelope, of: type)
        let label = EventLabel(source: source, type: type, streamBytes: streamBytes)
        let idGiven = try readId(envelope, root: root, label: label)
        let expected = try expectedVersion(envelope, label: label)
        let occurred = try occurrence(envelope, label: label)

        // The record is encoded as the envelope is read: its sections are borrowed bytes.
        var record = RecordEncoder(capacity: Record.headerSize + 96 + lineLength, schemaVersion: UInt16(type.version),
                                   occurredAt: occurred.micros, id: UnsafeRawBufferPointer(idBytes))
        let streamAt = try writeHeaderSections(envelope, occurredAt: occurred.micros, label: label, into: &record)
        let (data, restoredSection) = try checkedData(envelope, label: label)
        let personalClear = try writePublicSection(data, label: label, lineLength: lineLength, into: &record)
        let resident = DataKeyId.resident(stream: streamBytes, residentField: data["resident_id"]?.string)
        try writePersonalSection(personalClear, restored: restoredSection, resident: resident, label: label, into: &record)

        let consents = try consents(of: data, resident: resident, label: label)
        let steps = try steps(of: data, label: label)
        let keptRecordedAt = try keptRecordedAt(envelope, occurred: occurred, label: label)
        let restore = try restoredPlacement(envelope, idGiven: idGiven, occurredAtGiven: occurred.given, label: label)
        return PreparedEvent(source: source, type: type, expected: expected,
                             occurredAt: occurred.micros, occurredAtGiven: occurred.given, personalClear: personalClear,
                             resident: resident, consents: consents, steps: steps, restore: restore, givenRecordedAt: keptRecordedAt,
                             refusesDouble: refusesDoubles && !restoring,
                             recordTemplate: record.bytes, streamRange: streamAt..<streamAt + streamBytes.count)
    }

    /// Types already looked up by this preparer, by a hash of name and version: an import names
    /// a few dozen types a million times, and the catalogue's lookup makes a string and locks.
    private var typeCache: [UInt64: EventType] = [:]

    func cachedType(_ name: UnsafeRawBufferPointer, version: Int?) -> EventType? {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 &+ UInt64(version ?? 0)
        for byte in name { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        if let type = typeCache[hash], type.nameBytes.elementsEqual(name), version == nil || version == type.version { return type }
        guard let type = catalogue.type(String(decoding: name, as: UTF8.self), version: version) else { return nil }
        typeCache[hash] = type
        return type
    }

    static func scalarText(_ node: JSONNode) -> String {
        if let s = node.string { return s }
        if let b = node.bool { return b ? "true" : "false" }
        if let i = node.int { return String(i) }
        return node.double.map { String($0) } ?? ""
    }
}
