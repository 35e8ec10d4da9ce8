import JSON

extension ProjectionStatus {
    /// As `project --format json` and `replay --format json` print a read model's state.
    public var json: JSONValue {
        .object(JSONObject([("name", .string(name)), ("version", .int(Int64(version))), ("position", .int(Int64(position))),
                            ("scanned", .int(Int64(scanned))), ("rebuilt", .bool(rebuilt)), ("skipped", skipped.map { .string($0) } ?? .null),
                            ("digest", .string(digest.description))]))
    }
}

extension Projection {
    /// One catch-up as `project --format json` prints it and a team server answers it
    /// (POST /v1/projections, and each event of /v1/projections/follow): `models` and
    /// `seconds`. A follower's catch-ups list only the models that moved.
    public static func catchUpFacts(_ statuses: [ProjectionStatus], seconds: Double, following: Bool) -> JSONObject {
        let shown = following ? statuses.filter { $0.scanned > 0 } : statuses
        return JSONObject([("models", .array(shown.map(\.json))), ("seconds", .double((seconds * 1000).rounded() / 1000))])
    }
}

extension Projection {
    /// Whom a fold of `types` opens sealed fields as, in the access record
    /// ("projection:wellbeing"), or nil when none of them reads personal data.
    public static func reader(of types: [any Projector.Type]) -> String? {
        let readers = types.filter { $0.readsPersonalData }.map { "projection:" + $0.name }
        return readers.isEmpty ? nil : readers.joined(separator: ",")
    }
}
