import JSON
import Ledger
import Merkle
import TextFormats

extension AuditTrail {
    /// The corrections that touch the trail's events, each with its public data.
    public func corrections(in ledger: Ledger) throws -> [(position: UInt64, data: JSONValue)] {
        try ledger.read { s in
            try events.flatMap(\.corrections).map { p in (p, try JSONParser().value(Array(try s.record(at: p)!.data))) }
        }
    }

    /// The trail as `audit --format json` and the server's /v1/audit/{kind}/{id} give it.
    /// `personal` holds the opened personal fields by position (none through the server: an
    /// auditor reads them as [sealed]).
    public func json(corrections: [(position: UInt64, data: JSONValue)], personal: [UInt64: JSONValue]) -> JSONValue {
        var object = JSONObject()
        object["subject"] = .string(subject)
        object["streams"] = .array(streams.map { .string($0) })
        if let (size, note) = checkpoint { object["checkpoint"] = .object(JSONObject([("size", .int(Int64(size))), ("note", .string(note))])) }
        object["events"] = .array(events.map { e in
            var o = JSONObject()
            o["position"] = .int(Int64(e.position))
            o["id"] = .string(e.id)
            o["type"] = .string(e.type)
            o["stream"] = .string(e.stream)
            o["streamVersion"] = .int(Int64(e.streamVersion))
            o["occurredAt"] = .string(RFC3339.format(e.occurredAt))
            o["recordedAt"] = .string(RFC3339.format(e.recordedAt))
            o["recordedBy"] = .string(e.recordedBy)
            o["stateAfter"] = e.stateAfter.map { .string($0) } ?? .null
            o["data"] = e.data
            if let p = personal[e.position] { o["personal"] = p } else if e.sealed { o["personal"] = .string("[sealed]") }
            o["leafHash"] = .string(e.leafHash.hex)
            o["inclusionProof"] = e.inclusionProof.map { .array($0.map { .string($0.hex) }) } ?? .null
            o["corrections"] = .array(e.corrections.map { .int(Int64($0)) })
            return .object(o)
        })
        object["corrections"] = .array(corrections.map { .object(JSONObject([("position", .int(Int64($0.position))), ("data", $0.data)])) })
        object["anomalies"] = .array(anomalies.map { a in
            .object(JSONObject([("position", a.position.map { .int(Int64($0)) } ?? .null), ("kind", .string(a.kind)), ("message", .string(a.message))]))
        })
        return .object(object)
    }
}

extension AuditBundle {
    /// The bundle of `trail`, of a ledger whose lifecycle `kind` it follows, with a consistency
    /// proof from the earlier checkpoint `sinceCheckpoint` to the trail's when one is asked.
    public static func make(_ trail: AuditTrail, kind: AuditTrail.Kind, ledger: Ledger, sinceCheckpoint: UInt64?) throws -> [UInt8] {
        let (key, since): (String?, (String, [Hash])?) = try ledger.read { s in
            var since: (String, [Hash])?
            if let size = sinceCheckpoint {
                guard let note = try s.checkpoints().first(where: { $0.size == size })?.note else {
                    throw LedgerError(.refused, "--since-checkpoint \(size): no such checkpoint (see `buurtboek checkpoint list`)")
                }
                let latest = trail.checkpoint?.size ?? 0
                guard size >= 1, size <= latest else { throw LedgerError(.refused, "--since-checkpoint \(size) must be at most the latest checkpoint, \(latest)") }
                since = (note, size == latest ? [] : try Merkle.consistencyProof(old: Int64(size), new: Int64(latest), reader: s.hashReader))
            }
            return (try s.checkpointVerifierKey(), since)
        }
        guard let key else { throw LedgerError(.refused, "no checkpoint yet: sign one first (buurtboek checkpoint)") }
        let lifecycle = try JSONParser().value(ledger.catalogue.bundle)["catalogue"]?["lifecycles"]?[kind.rawValue]
        return try make(trail, publicKey: key, lifecycleDefinition: lifecycle, since: since)
    }
}
