import JSON

/// Old versions of an event type are never rewritten in the log: they are read through an
/// upcaster that gives them the shape of the latest version, so a projector sees one shape.
/// Each upcaster lifts one version to the next; a chain lifts v1 to the latest.
struct Upcaster: Sendable {
    let type: String
    let from: Int
    /// The fields to lay over the old data so that it reads as version `from + 1`.
    let lift: @Sendable (EventData) -> [String: JSONValue]
}

enum Upcasting {
    static let upcasters: [Upcaster] = [
        // referral.made v2 (Schemas/referral.made.v2.json) records the urgency agreed with the
        // resident. Nobody asked before v2, so a v1 referral's urgency is "unknown": an
        // honest value, not a guess.
        Upcaster(type: "referral.made", from: 1) { _ in ["urgency": .string("unknown")] },
    ]

    /// The latest version projectors read, per type that has upcasters.
    static let latest: [String: Int] = upcasters.reduce(into: [:]) { out, u in
        out[u.type] = max(out[u.type] ?? 0, u.from + 1)
    }

    /// Lifts `data` of `type` at `version` to the latest version: (version, overlay).
    static func lift(type: String, version: Int, data: EventData) -> (Int, [String: JSONValue]) {
        guard let target = latest[type], version < target else { return (version, data.overlay) }
        var overlay = data.overlay
        var v = version
        while v < target, let step = upcasters.first(where: { $0.type == type && $0.from == v }) {
            for (k, value) in step.lift(data.with(overlay: overlay)) where overlay[k] == nil {
                overlay[k] = value
            }
            v += 1
        }
        return (v, overlay)
    }
}
