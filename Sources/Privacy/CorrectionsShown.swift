import JSON
import Ledger
import TextFormats

/// The corrections of one event as `show` prints them and the server's /v1/events/{ref}
/// answers (`corrections`): each correction's position, action, time, worker and amended
/// non-personal values; its reason and amended personal values opened only for a reader whose
/// `sealer` may (each opening recorded in the access record, as `show` records its own).
public enum CorrectionsShown {
    public static func json(of position: UInt64, snapshot: LedgerSnapshot, sealer: Sealer?, reader: String, via: String = "") throws -> JSONValue {
        var out: [JSONValue] = []
        for c in try snapshot.corrections(of: position) {
            var o = JSONObject([("position", .int(Int64(c.position))), ("action", .string(c.void ? "void" : "amend")),
                                ("occurredAt", .string(RFC3339.format(c.occurredAt))), ("recordedBy", .string(c.recordedBy)),
                                ("fields", .object(c.fields))])
            if let record = try snapshot.record(at: c.position) {
                let personal = try PersonalFields.open(record, sealer: sealer, snapshot: snapshot, withheld: "the reason is shown to workers only")
                switch personal {
                case .clear(let values, let keyId):
                    if let reason = values["reason"] { o["reason"] = reason }
                    if let amended = values["personal_fields"] { o["personalFields"] = amended }
                    try sealer?.keyStore.recordAccess(worker: reader, subject: keyId,
                                                      command: "show \(position): correction at \(c.position)\(via)")
                case .unreadable(_, _, let erased): o["reason"] = .string(erased ? "[erased]" : "[key missing]")
                case .withheld: o["reason"] = .string("[sealed]")
                case .none: break
                }
            }
            out.append(.object(o))
        }
        return .array(out)
    }

}
