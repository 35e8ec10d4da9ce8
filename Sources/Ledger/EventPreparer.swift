import Catalogue
import JSON
#if canImport(Glibc)
import Glibc
#endif

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
    private let slots = UnsafeMutableBufferPointer<JSONNode?>.allocate(capacity: EventPreparer.envelopeKeys.count)
    /// The id of the event being prepared (reused).
    private let idBytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 8)
    let restoring: Bool
    let sealer: PersonalDataSealer?
    /// The data's members split by data class, for the event being prepared (reused).
    private var publicMembers: [JSONNode.Member] = [], personalMembers: [JSONNode.Member] = []
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

    /// Without a `sealer`, events with personal (I or S) fields are refused: sealing needs the
    /// master key.
    public init(catalogue: Catalogue, defaultWorker: String?, restoring: Bool = false, sealer: PersonalDataSealer? = nil,
                derivesIds: Bool = false, keepsRecordedAt: Bool = false, recorderIsFixed: Bool = false, now: Int64 = Clock.nowMicros()) {
        self.derivesIds = derivesIds
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

    /// The envelope's key names, for messages.
    static let knownKeys: [String] = envelopeKeys.map { String(decoding: $0, as: UTF8.self) }

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

    /// The envelope keys, by their position in `envelopeKeys`.
    static let envelopeKeys: [[UInt8]] = ["id", "type", "schemaVersion", "stream", "expectedVersion", "occurredAt",
                                          "recordedBy", "neighbourhood", "correlationId", "causationId", "data",
                                          "position", "streamVersion", "recordedAt", "leafHash", "sealed"].map { Array($0.utf8) }

    /// The envelope's keys, in the order of `envelopeKeys`.
    enum Slot: Int {
        case id, type, schemaVersion, stream, expectedVersion, occurredAt, recordedBy, neighbourhood, correlationId,
             causationId, data, position, streamVersion, recordedAt, leafHash, sealed
    }

    /// The slot of an envelope key, by its bytes.
    static func slot(of key: UnsafeRawBufferPointer) -> Int? {
        guard let first = key.first else { return nil }
        for (i, known) in envelopeKeys.enumerated() where known.count == key.count && known[0] == first {
            if known.withUnsafeBytes({ memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }) { return i }
        }
        return nil
    }

    private func prepare(_ root: JSONNode, source: EventSource, lineLength: Int) throws -> PreparedEvent {
        func refuse(_ path: String, _ rule: String) -> LedgerError { .refused("\(source): \(path): \(rule)") }
        guard root.kind == .object else { throw refuse("/", "an event must be a JSON object, not \(root.kind.name)") }
        // One pass over the members, sorting them into the envelope's slots.
        let slots = self.slots
        slots.update(repeating: nil)
        for member in root.members {
            let key = member.key.stringBytes
            guard let slot = EventPreparer.slot(of: key) else {
                throw refuse("/\(member.name)", "unknown key (known: \(EventPreparer.knownKeys.joined(separator: ", ")))")
            }
            guard slots[slot] == nil else { throw refuse("/\(member.name)", "appears twice") }
            slots[slot] = member.value
        }
        func node(_ key: Slot) -> JSONNode? {
            guard let n = slots[key.rawValue], n.kind != .null else { return nil }
            return n
        }
        /// A string member's bytes (borrowed from the parsed line), checked for type and length.
        func textBytes(_ key: Slot, required: Bool = false, max: Int = EventPreparer.maxEnvelopeText) throws -> UnsafeRawBufferPointer? {
            guard let node = node(key) else {
                if required { throw refuse("/\(key)", "is required") }
                return nil
            }
            guard node.kind == .string else { throw refuse("/\(key)", "must be a string, not \(node.kind.name)") }
            guard node.stringBytes.count <= max else { throw refuse("/\(key)", "longer than \(max) bytes") }
            return node.stringBytes
        }
        func text(_ key: Slot, required: Bool = false, max: Int = EventPreparer.maxEnvelopeText) throws -> String? {
            try textBytes(key, required: required, max: max).map { String(decoding: $0, as: UTF8.self) }
        }
        guard let typeNode = node(.type) else { throw refuse("/type", "is required") }
        guard typeNode.kind == .string else { throw refuse("/type", "must be a string, not \(typeNode.kind.name)") }
        var version: Int?
        if let v = node(.schemaVersion) {
            guard let n = v.int, n > 0, n < 65_536 else { throw refuse("/schemaVersion", "must be a positive integer") }
            version = Int(n)
        }
        guard let type = cachedType(typeNode.stringBytes, version: version) else {
            let typeName = try text(.type, required: true)!
            if let versions = catalogue.versions(of: typeName) {
                throw refuse("/schemaVersion", "\(typeName) has no version \(version!) (known: \(versions.map(String.init).joined(separator: ", ")))")
            }
            throw refuse("/type", "unknown event type \"\(typeName)\"\(NameSuggestion.hint(typeName, in: catalogue.typeNames)) (see `buurtboek types`)")
        }
        let streamBytes = try textBytes(.stream, required: true)!
        guard type.streamKind.accepts(streamBytes: streamBytes) else {
            let stream = String(decoding: streamBytes, as: UTF8.self)
            throw refuse("/stream", "\"\(stream)\" is not a \(type.streamKind.name) stream id (\(type.streamKind.idPattern)), as \(type.name) needs")
        }
        // A string only where one is needed: messages, and keys of a few events.
        var stream: String { String(decoding: streamBytes, as: UTF8.self) }
        func refuseEvent(_ path: String, _ rule: String) -> LedgerError {
            .refused("\(PreparedEvent.label(source, type: type.name, stream: stream)): \(path): \(rule)")
        }

        // The id, in the preparer's own 16 bytes: the record's header is encoded from them.
        let id = UnsafeRawBufferPointer(idBytes)
        var idGiven = false
        if let text = try textBytes(.id) {
            guard UUIDText.parse(text, into: idBytes) else {
                throw refuseEvent("/id", "must be a UUID (\"\(String(decoding: text, as: UTF8.self))\" is not)")
            }
            idGiven = true
        } else if derivesIds {
            do { try DerivedId.of(root, into: idBytes) } catch let error as JSONSyntaxError { throw refuseEvent("/", error.message) }
        } else {
            Clock.uuidV7(micros: now).withUnsafeBytes { idBytes.copyMemory(from: $0) }
        }
        var expected = ExpectedVersion.any
        if let node = node(.expectedVersion) {
            let text = node.string ?? node.int.map(String.init)
            guard let text, let parsed = ExpectedVersion(text) else {
                throw refuseEvent("/expectedVersion", "must be any, none, exists or a stream version number")
            }
            expected = parsed
        }
        var occurredAt = now
        var occurredAtGiven = false
        if let text = try textBytes(.occurredAt) {
            guard text.count > 10, let micros = RFC3339.parse(text) else {
                throw refuseEvent("/occurredAt", "must be an RFC 3339 date-time such as 2024-03-05T14:30:00+01:00")
            }
            guard restoring || micros <= now + EventPreparer.futureTolerance else {
                throw refuseEvent("/occurredAt", "\(String(decoding: text, as: UTF8.self)) lies in the future (more than 5 minutes after the ledger's clock, \(RFC3339.format(now)))")
            }
            guard micros >= -2_208_988_800_000_000 else { throw refuseEvent("/occurredAt", "lies before 1900") }
            occurredAt = micros
            occurredAtGiven = true
        }

        // The record is encoded as the envelope is read: its sections are borrowed bytes.
        var record = RecordEncoder(capacity: Record.headerSize + 96 + lineLength,
                                   schemaVersion: UInt16(type.version), occurredAt: occurredAt, id: id)
        type.nameBytes.withUnsafeBytes { record.section($0) }
        let streamAt = record.bytes.count + 4
        record.section(streamBytes)
        if let given = try textBytes(.recordedBy), !given.isEmpty {
            if recorderIsFixed, let worker = defaultWorkerBytes, !given.elementsEqual(worker) {
                throw refuseEvent("/recordedBy", "the server records who appends (\(defaultWorker ?? "")), from the token; leave recordedBy out")
            }
            record.section(given)
        } else if let worker = defaultWorkerBytes, !worker.isEmpty {
            record.section(worker)
        } else {
            throw refuseEvent("/recordedBy", "no worker: give recordedBy, --by or $BUURTBOEK_WORKER")
        }
        let neighbourhood = try textBytes(.neighbourhood) ?? UnsafeRawBufferPointer(start: nil, count: 0)
        guard neighbourhood.isEmpty || EventPreparer.isCode(neighbourhood) else {
            throw refuseEvent("/neighbourhood", "\"\(String(decoding: neighbourhood, as: UTF8.self))\" is not a neighbourhood code (letters, digits, . _ -; at most 32)")
        }
        record.section(neighbourhood)
        record.section(try textBytes(.correlationId) ?? UnsafeRawBufferPointer(start: nil, count: 0))
        record.section(try textBytes(.causationId) ?? UnsafeRawBufferPointer(start: nil, count: 0))

        guard let data = node(.data) else { throw refuseEvent("/data", "is required") }
        guard data.kind == .object else { throw refuseEvent("/data", "must be a JSON object, not \(data.kind.name)") }
        // A restored event's personal fields travel sealed: the section names them.
        var sealedSection: [UInt8]?
        var sealedFields: [String] = []
        if let sealedText = try text(.sealed, max: 1 << 20) {
            guard restoring else { throw refuseEvent("/sealed", "sealed personal data can only be restored (import --restore)") }
            guard let bytes = Base64.decode(sealedText), let section = try? bytes.withUnsafeBytes({ try SealedSection($0) }) else {
                throw refuseEvent("/sealed", "is not a sealed section in base64")
            }
            sealedSection = bytes
            sealedFields = section.fields
        }
        if let failure = type.schema.validate(data, presentElsewhere: sealedFields) {
            // Every broken field at once, so that a worker mends the event in one go.
            let all = type.schema.failures(data, presentElsewhere: sealedFields)
            guard all.count > 1 else { throw refuseEvent("/data\(failure.path)", failure.rule) }
            throw LedgerError.refused("\(PreparedEvent.label(source, type: type.name, stream: stream)): \(all.count) fields are wrong: "
                                      + all.map { "/data\($0.path): \($0.rule)" }.joined(separator: "; "))
        }
        // Split the data into the public and personal sections, each canonical JSON.
        // The preparer's own arrays, emptied: an event would otherwise grow two new ones.
        publicMembers.removeAll(keepingCapacity: true)
        personalMembers.removeAll(keepingCapacity: true)
        for member in data.members {
            if type.dataClass(ofKey: member.key.stringBytes)!.isPersonal { personalMembers.append(member) } else { publicMembers.append(member) }
        }
        var personalClear: [UInt8] = []
        let publicLength: Int
        do {
            publicLength = try record.section { out in
                out.append(UInt8(ascii: "{"))
                try JSONNode.writeSortedMembers(&publicMembers, into: &out)
                out.append(UInt8(ascii: "}"))
            }
            if !personalMembers.isEmpty {
                personalClear.reserveCapacity(lineLength)
                personalClear.append(UInt8(ascii: "{"))
                try JSONNode.writeSortedMembers(&personalMembers, into: &personalClear)
                personalClear.append(UInt8(ascii: "}"))
            }
        } catch let error as JSONSyntaxError {
            throw refuseEvent("/data", error.message)
        }
        guard publicLength + personalClear.count <= catalogue.maxDataBytes else {
            throw refuseEvent("/data", "\(publicLength + personalClear.count) bytes, more than the catalogue's limit of \(catalogue.maxDataBytes)")
        }
        let resident = DataKeyId.resident(stream: streamBytes, residentField: data["resident_id"]?.string)

        // The personal section is sealed under the resident's (or the stream's) data key.
        if let bytes = sealedSection {
            guard personalMembers.isEmpty else { throw refuseEvent("/data", "holds personal fields beside a sealed section") }
            record.section(bytes)
            record.setFlags(Record.sealedFlag)
        } else if !personalClear.isEmpty {
            guard let sealer else {
                let names = personalMembers.map(\.name).sorted().joined(separator: ", ")
                throw refuseEvent("/data", "holds personal fields (\(names)); recording them needs the master key (--master-key FILE or $BUURTBOEK_MASTER_KEY_FILE)")
            }
            do {
                // The fields in the byte order of their names, as the members were just sorted.
                let keyId = DataKeyId.forEvent(stream: stream, residentId: resident), fields = personalMembers.map(\.name)
                _ = try record.section { out in try sealer.seal(personalClear, keyId: keyId, fields: fields, eventId: id, appendingTo: &out) }
            } catch let error as LedgerError {
                throw LedgerError(error.kind, "\(PreparedEvent.label(source, type: type.name, stream: stream)): \(error.message)")
            }
            record.setFlags(Record.sealedFlag)
        } else {
            record.section(UnsafeRawBufferPointer(start: nil, count: 0))
        }

        var consents: [(stream: [UInt8], key: [UInt8], text: String)] = []
        for rule in type.consentRules {
            if let g = rule.when, !g.allows(data[g.field].map(EventPreparer.scalarText)) { continue }
            let organisation = rule.organisationField.flatMap { data[$0]?.string } ?? ""
            let what = rule.scope + (organisation.isEmpty ? "" : " with \(organisation)")
            guard let resident else { throw refuseEvent("/data", "needs consent (\(what)) but names no resident") }
            consents.append((Array(DataKeyId.residentStream(resident).utf8), Keys.instanceState(lifecycle: "consent", instance: rule.scope + "\u{1F}" + organisation),
                             "resident \(resident) has not given consent \(what) (or has withdrawn it)"))
        }

        let steps = LifecycleStep.steps(of: type, data: data)
        if let long = steps.first(where: { $0.key.count > Keys.maxHeadEntryName }) {
            let lifecycle = long.lifecycle, name = lifecycle.name.utf8.count
            throw refuseEvent("/data/\(lifecycle.instanceBy.joined(separator: "+"))", "identifies a \(lifecycle.name) of \(long.key.count - name - 1) bytes, more than the \(Keys.maxHeadEntryName - name - 1) a stream's head can hold")
        }

        var givenRecordedAt: Int64?
        if keepsRecordedAt && !restoring {
            guard let recordedText = try text(.recordedAt), let recordedAt = RFC3339.parse(recordedText) else {
                throw refuseEvent("/recordedAt", "is required with --keep-recorded-at, as an RFC 3339 date-time")
            }
            guard recordedAt <= now + EventPreparer.futureTolerance else { throw refuseEvent("/recordedAt", "\(recordedText) lies in the future") }
            guard recordedAt >= occurredAt || !occurredAtGiven else { throw refuseEvent("/recordedAt", "\(recordedText) lies before the event occurred") }
            givenRecordedAt = recordedAt
        }
        var restore: RestoredPlacement?
        if restoring {
            guard idGiven else { throw refuseEvent("/id", "is required when restoring") }
            guard occurredAtGiven else { throw refuseEvent("/occurredAt", "is required when restoring") }
            guard let position = node(.position)?.int, position > 0 else { throw refuseEvent("/position", "is required when restoring") }
            guard let version = node(.streamVersion)?.int, version > 0 else { throw refuseEvent("/streamVersion", "is required when restoring") }
            guard let recordedText = try text(.recordedAt), let recordedAt = RFC3339.parse(recordedText) else {
                throw refuseEvent("/recordedAt", "is required when restoring, as an RFC 3339 date-time")
            }
            var leaf: Hash?
            if let leafText = try text(.leafHash) {
                guard let hash = Hash(hex: leafText) else { throw refuseEvent("/leafHash", "must be 64 hex digits") }
                leaf = hash
            }
            restore = RestoredPlacement(position: UInt64(position), streamVersion: UInt64(version), recordedAt: recordedAt, leafHash: leaf)
        }
        return PreparedEvent(source: source, type: type, expected: expected,
                             occurredAt: occurredAt, occurredAtGiven: occurredAtGiven, personalClear: personalClear,
                             resident: resident, consents: consents, steps: steps, restore: restore, givenRecordedAt: givenRecordedAt,
                             recordTemplate: record.bytes, streamRange: streamAt..<streamAt + streamBytes.count)
    }

    /// Types already looked up by this preparer, by a hash of name and version: an import names
    /// a few dozen types a million times, and the catalogue's lookup makes a string and locks.
    private var typeCache: [UInt64: EventType] = [:]

    private func cachedType(_ name: UnsafeRawBufferPointer, version: Int?) -> EventType? {
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

    static func isCode(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !bytes.isEmpty, bytes.count <= 32 else { return false }
        func ok(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 46 || c == 95 || c == 45
        }
        return bytes.allSatisfy(ok) && bytes[0] != 46 && bytes[0] != 95 && bytes[0] != 45
    }
}
