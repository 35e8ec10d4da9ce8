import Catalogue
import JSON
import TextFormats

/// The envelope of an event line: its type, id, expected version, time and the header
/// sections of its record (type, stream, recorder, neighbourhood, correlation, causation).
extension EventPreparer {
    /// The catalogue's type for the line's type and schemaVersion, with a hint when unknown.
    func eventType(_ envelope: EventEnvelope) throws -> EventType {
        guard let typeNode = envelope.node(.type) else { throw envelope.refuse("/type", "is required") }
        guard typeNode.kind == .string else { throw envelope.refuse("/type", "must be a string, not \(typeNode.kind.name)") }
        var version: Int?
        if let v = envelope.node(.schemaVersion) {
            guard let n = v.int, n > 0, n < 65_536 else { throw envelope.refuse("/schemaVersion", "must be a positive integer") }
            version = Int(n)
        }
        if let type = cachedType(typeNode.stringBytes, version: version) { return type }
        let typeName = try envelope.text(.type, required: true)!
        if let versions = catalogue.versions(of: typeName) {
            throw envelope.refuse("/schemaVersion", "\(typeName) has no version \(version!) (known: \(versions.map(String.init).joined(separator: ", ")))")
        }
        throw envelope.refuse("/type", "unknown event type \"\(typeName)\"\(NameSuggestion.hint(typeName, in: catalogue.typeNames)) (see `buurtboek types`)")
    }

    /// The stream id's bytes, checked against the kind of stream the type needs.
    func streamBytes(_ envelope: EventEnvelope, of type: EventType) throws -> UnsafeRawBufferPointer {
        let streamBytes = try envelope.textBytes(.stream, required: true)!
        guard type.streamKind.accepts(streamBytes: streamBytes) else {
            let stream = String(decoding: streamBytes, as: UTF8.self)
            throw envelope.refuse("/stream", "\"\(stream)\" is not a \(type.streamKind.name) stream id (\(type.streamKind.idPattern)), as \(type.name) needs")
        }
        return streamBytes
    }

    /// Fills the preparer's 16 id bytes (the record's header is encoded from them): the line's
    /// own id, one derived from its content, or a new time-ordered one. True when the line gave it.
    func readId(_ envelope: EventEnvelope, root: JSONNode, label: EventLabel) throws -> Bool {
        if let text = try envelope.textBytes(.id) {
            guard UUIDText.parse(text, into: idBytes) else {
                throw label.refuse("/id", "must be a UUID (\"\(String(decoding: text, as: UTF8.self))\" is not)")
            }
            return true
        }
        if derivesIds {
            do { try DerivedId.of(root, into: idBytes) } catch let error as JSONSyntaxError { throw label.refuse("/", error.message) }
        } else {
            Clock.uuidV7(micros: now).withUnsafeBytes { idBytes.copyMemory(from: $0) }
        }
        return false
    }

    func expectedVersion(_ envelope: EventEnvelope, label: EventLabel) throws -> ExpectedVersion {
        guard let node = envelope.node(.expectedVersion) else { return .any }
        let text = node.string ?? node.int.map(String.init)
        guard let text, let parsed = ExpectedVersion(text) else {
            throw label.refuse("/expectedVersion", "must be any, none, exists or a stream version number")
        }
        return parsed
    }

    /// When the event occurred (the ledger's clock when the line does not say), and whether it said.
    func occurrence(_ envelope: EventEnvelope, label: EventLabel) throws -> (micros: Int64, given: Bool) {
        guard let text = try envelope.textBytes(.occurredAt) else { return (now, false) }
        guard text.count > 10, let micros = RFC3339.parse(text) else {
            throw label.refuse("/occurredAt", "must be an RFC 3339 date-time such as 2024-03-05T14:30:00+01:00")
        }
        guard restoring || micros <= now + EventPreparer.futureTolerance else {
            throw label.refuse("/occurredAt", "\(String(decoding: text, as: UTF8.self)) lies in the future (more than 5 minutes after the ledger's clock, \(RFC3339.format(now)))")
        }
        guard micros >= -2_208_988_800_000_000 else { throw label.refuse("/occurredAt", "lies before 1900") }
        return (micros, true)
    }

    /// Appends the header sections (type, stream, recorder, neighbourhood, correlation and
    /// causation ids) as borrowed bytes; returns where the stream's bytes start in the record.
    func writeHeaderSections(_ envelope: EventEnvelope, occurredAt: Int64, label: EventLabel, into record: inout RecordEncoder) throws -> Int {
        label.type.nameBytes.withUnsafeBytes { record.section($0) }
        let streamAt = record.bytes.count + 4
        record.section(label.streamBytes)
        if let given = try envelope.textBytes(.recordedBy), !given.isEmpty {
            if recorderIsFixed, let worker = defaultWorkerBytes, !given.elementsEqual(worker) {
                throw label.refuse("/recordedBy", "the server records who appends (\(defaultWorker ?? "")), from the token; leave recordedBy out")
            }
            record.section(given)
        } else if let worker = defaultWorkerBytes, !worker.isEmpty {
            record.section(worker)
        } else {
            throw label.refuse("/recordedBy", "no worker: give recordedBy, --by or $BUURTBOEK_WORKER")
        }
        let none = UnsafeRawBufferPointer(start: nil, count: 0)
        let neighbourhood = try envelope.textBytes(.neighbourhood) ?? none
        if !neighbourhood.isEmpty { try checkNeighbourhood(neighbourhood, occurredAt: occurredAt, label: label) }
        record.section(neighbourhood)
        record.section(try envelope.textBytes(.correlationId) ?? none)
        record.section(try envelope.textBytes(.causationId) ?? none)
        return streamAt
    }
}

extension EventPreparer {
    /// A neighbourhood is a code; with a register in the catalogue, the code of an area in a
    /// division in force on the day the event occurred. A restore puts back what was recorded,
    /// under the catalogue of its time, so it checks the form only.
    func checkNeighbourhood(_ code: UnsafeRawBufferPointer, occurredAt: Int64, label: EventLabel) throws {
        guard AreaCSV.isCode(code) else {
            let text = String(decoding: code, as: UTF8.self)
            throw label.refuse("/neighbourhood", "\"\(text)\" is not a neighbourhood code\(registerHint(text, occurredAt: occurredAt))")
        }
        guard let register = catalogue.areas, !restoring else { return }
        let day = Calendar.day(ofMicros: occurredAt)
        let holding: UInt64
        if let areaIndex {
            holding = areaIndex.divisionsHolding(codeBytes: code) & areaIndex.inForce(onDay: day)
        } else {
            // A few events look the code up in the division files; many build an index once.
            areaLookups += 1
            if areaLookups == 16 { areaIndex = register.index() }
            holding = register.divisionsHolding(code: code) & register.inForce(onDay: day)
        }
        guard holding == 0 else { return }
        let text = String(decoding: code, as: UTF8.self)
        throw label.refuse("/neighbourhood", "\"\(text)\" is not a neighbourhood in the division in force on \(RFC3339.formatDay(day))\(registerHint(text, occurredAt: occurredAt))")
    }

    /// " (CBS buurten 2025 ...); did you mean ...?": the divisions in force and the nearest areas.
    func registerHint(_ text: String, occurredAt: Int64) -> String {
        guard let register = catalogue.areas else { return " (letters, digits, . _ -; at most 32)" }
        let day = Calendar.day(ofMicros: occurredAt)
        return AreaHint.text(text, register: register, day: day)
    }
}
