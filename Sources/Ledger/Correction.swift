import Catalogue
import JSON
import TextFormats

/// Corrections are events: `ledger.correction_recorded` in stream correction-POS names the
/// event it amends (with the new values of some of its fields) or voids, and why. Nothing is
/// edited in place; audits and the read models show the original and its correction.
public enum Correction {
    public static let type = "ledger.correction_recorded"

    public static func stream(correcting position: UInt64) -> String { streamPrefix + String(position) }

    /// The position a correction stream names (correction-POS), or nil for another stream.
    public static func position(correctedBy stream: String) -> UInt64? {
        stream.hasPrefix(streamPrefix) ? UInt64(stream.dropFirst(streamPrefix.count)) : nil
    }

    static let streamPrefix = "correction-"

    /// The event a correction is about: its id and its type under the catalogue it was recorded in.
    public struct Target: Sendable {
        public let position: UInt64
        public let id: String
        public let typeName: String
        public let type: EventType?
    }

    public static func target(_ position: UInt64, in ledger: Ledger) throws -> Target {
        let (id, typeName, version) = try ledger.read { s -> (String, String, Int) in
            guard let record = try s.record(at: position) else {
                throw LedgerError(.refused, "no event at position \(position) (the log holds \(try s.size()))")
            }
            return (UUIDText.format(record.id), record.type, Int(record.schemaVersion))
        }
        guard typeName != type else { throw LedgerError(.refused, "position \(position) is itself a correction") }
        // A team's membership changes by its own events (`member role`, `member revoke`); a
        // correction would read as a change the server's roster never made.
        guard !typeName.hasPrefix("member.") else {
            throw LedgerError(.refused, "position \(position) is \(typeName): membership changes with `buurtboek member role` or `member revoke`, not by a correction")
        }
        return Target(position: position, id: id, typeName: typeName, type: ledger.catalogue.type(typeName, version: version))
    }

    /// A correction as a worker asks for it, on a ledger directory (`correct`, `void`) or
    /// through a team server (POST /v1/corrections): `fields` as `--field key=value` texts,
    /// read with the target's schema, and `id` given by a remote client so that a retry is
    /// "already recorded".
    public struct Request: Sendable {
        public let position: UInt64
        public let action: Action
        public let reason: String
        public let fields: [String]
        public let id: String?

        public init(position: UInt64, action: Action, reason: String, fields: [String], id: String? = nil) {
            (self.position, self.action, self.reason, self.fields, self.id) = (position, action, reason, fields, id)
        }
    }

    public enum Action: String, Sendable, CaseIterable { case amend, void }

    /// The event `request` corrects and the correction's line, to prepare and append like any
    /// other event.
    public static func line(_ request: Request, in ledger: Ledger) throws -> (target: Target, line: [UInt8]) {
        switch request.action {
        case .amend where request.fields.isEmpty:
            throw FieldValueError("correct needs at least one --field key=value (use `buurtboek void` to void an event)")
        case .void where !request.fields.isEmpty:
            throw FieldValueError("a void takes no --field: it voids the whole event")
        default: break
        }
        let target = try Correction.target(request.position, in: ledger)
        let values = try request.fields.map { field in
            let (key, text) = try FieldValue.split(field)
            return (key: key, value: try FieldValue.parse(text, key: key, schema: target.type?.schema.property(key)))
        }
        // The fields are checked first: a field the type lacks is the more useful refusal.
        let line = try line(target, action: request.action.rawValue, reason: request.reason, values: values, id: request.id)
        try checkNotRepeated(request, values: values, target: target, in: ledger)
        return (target, line)
    }

    /// A voided event takes no further correction, and a correction that an earlier one
    /// already made (the same action, the same values) is refused: it would read as two.
    /// (The catalogue's `correction` lifecycle refuses a correction after a void in the writer
    /// too, for imports; this says it in a worker's words first.) Personal values, sealed in
    /// the earlier correction, are compared only where this process can open them.
    static func checkNotRepeated(_ request: Request, values: [(key: String, value: JSONValue)], target: Target, in ledger: Ledger) throws {
        let earlier = try ledger.read { try $0.corrections(of: target.position) }
        // A retry of a correction already recorded (its id given by a remote client) is the
        // append's to answer: "already recorded".
        if let id = request.id.flatMap({ UUIDText.parse($0) }), earlier.contains(where: { $0.id == id }) { return }
        if let void = earlier.first(where: \.void) {
            throw LedgerError(.refused, "position \(target.position) was voided at position \(void.position) (\(RFC3339.formatDay(Calendar.day(ofMicros: void.occurredAt))), by \(void.recordedBy)); a voided event takes no further correction")
        }
        guard request.action == .amend else { return }
        let personal = values.filter { target.type?.dataClass(of: $0.key)?.isPersonal ?? false }
        guard personal.isEmpty else { return }
        let asked = JSONObject(values.map { ($0.key, $0.value) })
        if let same = earlier.last(where: { !$0.void && JSONWriter.canonical(.object($0.fields)) == JSONWriter.canonical(.object(asked)) }) {
            throw LedgerError(.refused, "position \(target.position) was already amended to these values at position \(same.position) (by \(same.recordedBy)); nothing appended")
        }
    }

    /// The correction's line: each of `values` must be a field of the target's type and valid
    /// under its schema. The new values of personal fields go to `personal_fields`, which is
    /// sealed.
    public static func line(_ target: Target, action: String, reason: String, values: [(key: String, value: JSONValue)], id: String? = nil) throws -> [UInt8] {
        var public_ = JSONObject(), personal = JSONObject()
        for (key, value) in values {
            guard let dataClass = target.type?.dataClass(of: key), let schema = target.type?.schema.property(key) else {
                throw LedgerError(.refused, "--field \(key): \(target.typeName) has no such field (see `buurtboek types \(target.typeName)`)")
            }
            if let failure = try JSONParser().parse(JSONWriter.canonical(value), { schema.validate($0) }) {
                throw LedgerError(.refused, "--field \(key)\(failure.path): \(failure.rule)")
            }
            if dataClass.isPersonal { personal[key] = value } else { public_[key] = value }
        }
        var data = JSONObject()
        data["corrects_position"] = .int(Int64(target.position))
        data["corrects_event_id"] = .string(target.id)
        data["action"] = .string(action)
        data["reason"] = .string(reason)
        if !public_.isEmpty { data["fields"] = .object(public_) }
        if !personal.isEmpty { data["personal_fields"] = .object(personal) }
        var event = JSONObject([("type", .string(type)), ("stream", .string(stream(correcting: target.position)))])
        if let id { event["id"] = .string(id) }
        event["data"] = .object(data)
        return JSONWriter.canonical(.object(event))
    }
}

extension Correction.Request {
    /// The body of POST /v1/corrections.
    public var json: JSONObject {
        var o = JSONObject([("position", .int(Int64(position))), ("action", .string(action.rawValue)), ("reason", .string(reason)),
                            ("fields", .array(fields.map { .string($0) }))])
        if let id { o["id"] = .string(id) }
        return o
    }

    /// Reads a POST /v1/corrections body; a missing or mistyped key is named by its path.
    public init(json: JSONValue) throws {
        guard let o = json.object else { throw LedgerError(.refused, #"expected a JSON object: {"position": 812, "action": "amend", "reason": "...", "fields": ["key=value"]}"#) }
        guard let position = o["position"]?.int, position >= 1 else { throw LedgerError(.refused, "/position: missing (the position of the event to correct, 1 or more)") }
        guard let name = o["action"]?.string, let action = Correction.Action(rawValue: name) else {
            throw LedgerError(.refused, "/action: expected one of \(Correction.Action.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let reason = o["reason"]?.string else { throw LedgerError(.refused, "/reason: missing (a string)") }
        var fields: [String] = []
        for (i, field) in (o["fields"]?.array ?? []).enumerated() {
            guard let text = field.string else { throw LedgerError(.refused, "/fields/\(i): expected a string key=value") }
            fields.append(text)
        }
        let id = o["id"]?.string
        if let id, UUIDText.parse(id) == nil { throw LedgerError(.refused, "/id: \(id) is not a UUID") }
        self.init(position: UInt64(position), action: action, reason: reason, fields: fields, id: id)
    }
}

extension Correction {
    /// What became of a correction, as `correct --format json` prints it and the server
    /// answers: the append's outcome with `action`, `corrects` and `correctsType`.
    public static func outcome(_ outcome: AppendOutcome, id: [UInt8], _ request: Request, target: Target) -> JSONObject {
        var o = outcome.json(id: id).object ?? JSONObject()
        o["action"] = .string(request.action.rawValue)
        o["corrects"] = .int(Int64(target.position))
        o["correctsType"] = .string(target.typeName)
        return o
    }
}
