import JSON
import Ledger
import Merkle
import TextFormats

/// An offline audit bundle: everything an auditor needs to check a history with no access to
/// the ledger (Tools/verify-bundle.py checks one with Python's standard library):
///
///     {"format": "buurtboek-audit-bundle/1", "subject": …, "stream": …,
///      "checkpoint": <signed note>, "publicKey": <C2SP verifier key>,
///      "events": [{"position": P, "record": <base64 record bytes>, "inclusionProof": [hex, …]}, …],
///      "lifecycle": <the lifecycle definition from the catalogue>,
///      "consistency": {"checkpoint": <an earlier signed note>, "proof": [hex, …]}   (optional)}
public enum AuditBundle {
    public static let format = "buurtboek-audit-bundle/1"

    public static func make(_ trail: AuditTrail, publicKey: String, lifecycleDefinition: JSONValue?,
                            since: (note: String, proof: [Hash])?) throws -> [UInt8] {
        guard let (size, note) = trail.checkpoint else {
            throw LedgerError(.refused, "no checkpoint yet: sign one first (buurtboek checkpoint)")
        }
        guard let last = trail.events.last, last.position <= size else {
            throw LedgerError(.refused, "the latest checkpoint (\(size)) does not cover position \(trail.events.last?.position ?? 0) yet: sign a new one (buurtboek checkpoint)")
        }
        var object = JSONObject()
        object["format"] = .string(format)
        object["subject"] = .string(trail.subject)
        object["stream"] = .string(trail.streams[0])
        object["checkpoint"] = .string(note)
        object["publicKey"] = .string(publicKey)
        object["events"] = .array(trail.events.map { event in
            .object(JSONObject([
                ("position", .int(Int64(event.position))),
                ("record", .string(Base64.encode(event.record))),
                ("inclusionProof", .array((event.inclusionProof ?? []).map { .string($0.hex) })),
            ]))
        })
        if let lifecycleDefinition { object["lifecycle"] = lifecycleDefinition }
        if let since {
            object["consistency"] = .object(JSONObject([("checkpoint", .string(since.note)), ("proof", .array(since.proof.map { .string($0.hex) }))]))
        }
        return Array((JSONWriter.ordered(.object(object)) + "\n").utf8)
    }
}
