import JSON
import Ledger

/// What a reader is shown of one event's sealed (I and S) fields: nothing to show, their
/// names only (no master key here, or a role that may not read them), their values, or the
/// fact that their key is gone. `show` prints it locally; the server sends it as JSON so the
/// remote `show` prints the same.
public enum PersonalFields: Sendable, Equatable {
    case none
    case withheld(fields: [String], reason: String)
    case clear(JSONObject, keyId: String)
    /// The key is destroyed by an erasure the log records (erased) or absent from a key store
    /// that never had it (a key store restored from elsewhere).
    case unreadable(fields: [String], keyId: String, erased: Bool)

    /// Opens `record`'s sealed section with `sealer`; without one, the names are `withheld`
    /// for `reason`.
    public static func open(_ record: RecordView, sealer: Sealer?, snapshot: LedgerSnapshot, withheld reason: String) throws -> PersonalFields {
        guard record.isSealed else { return .none }
        let section = try SealedSection(record.personal)
        guard let sealer else { return .withheld(fields: section.fields, reason: reason) }
        // The log's erasure decides, not a key another process's cache may still hold (a
        // server's, after the local CLI beside it erased the resident).
        if try snapshot.erasureDestroyed(keyId: section.keyId) { return .unreadable(fields: section.fields, keyId: section.keyId, erased: true) }
        switch try sealer.open(record.personal, eventId: record.id) {
        case .clear(let bytes):
            return .clear(try JSONParser().value(bytes).object ?? JSONObject(), keyId: section.keyId)
        case .keyMissing(let keyId):
            return .unreadable(fields: section.fields, keyId: keyId, erased: false)
        }
    }

    /// Each field with the text to print for it.
    public var shown: [(name: String, text: String)] {
        switch self {
        case .none: []
        case .withheld(let fields, let reason): fields.map { ($0, "[sealed: \(reason)]") }
        case .clear(let values, _): values.map { ($0.key, $0.value.string ?? JSONWriter.ordered($0.value)) }
        case .unreadable(let fields, _, let erased): fields.map { ($0, erased ? "[erased]" : "[key missing]") }
        }
    }

    public var json: JSONValue {
        switch self {
        case .none: .null
        case .withheld(let fields, let reason):
            .object(JSONObject([("state", .string("withheld")), ("fields", .array(fields.map { .string($0) })), ("reason", .string(reason))]))
        case .clear(let values, let keyId):
            .object(JSONObject([("state", .string("open")), ("fields", .object(values)), ("keyId", .string(keyId))]))
        case .unreadable(let fields, let keyId, let erased):
            .object(JSONObject([("state", .string(erased ? "erased" : "key_missing")), ("fields", .array(fields.map { .string($0) })),
                                ("keyId", .string(keyId))]))
        }
    }

    public init(json: JSONValue?) {
        guard let o = json?.object, let state = o["state"]?.string else { self = .none; return }
        let names = o["fields"]?.array?.compactMap(\.string) ?? []
        let keyId = o["keyId"]?.string ?? ""
        switch state {
        case "open": self = .clear(o["fields"]?.object ?? JSONObject(), keyId: keyId)
        case "erased", "key_missing": self = .unreadable(fields: names, keyId: keyId, erased: state == "erased")
        default: self = .withheld(fields: names, reason: o["reason"]?.string ?? "withheld")
        }
    }
}
