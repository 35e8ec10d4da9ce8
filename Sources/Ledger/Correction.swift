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
        return Target(position: position, id: id, typeName: typeName, type: ledger.catalogue.type(typeName, version: version))
    }

    /// The correction's line (to prepare and append like any other): `action` is amend or
    /// void; each of `values` must be a field of the target's type and valid under its schema.
    /// The new values of personal fields go to `personal_fields`, which is sealed.
    public static func line(_ target: Target, action: String, reason: String, values: [(key: String, value: JSONValue)]) throws -> [UInt8] {
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
        return JSONWriter.canonical(.object(JSONObject([("type", .string(type)), ("stream", .string(stream(correcting: target.position))),
                                                       ("data", .object(data))])))
    }
}
