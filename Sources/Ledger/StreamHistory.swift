import JSON
import TextFormats

/// A stream as `stream --format json` and the server's /v1/streams/{id} give it: each event's
/// envelope in stream order, then the state of each lifecycle the stream is in and the events
/// that may come next. Holds no data fields, so it shows no personal data to anyone.
public enum StreamHistory {
    public static func json(_ stream: String, snapshot: LedgerSnapshot) throws -> JSONValue {
        let entries = try snapshot.streamPositions(stream)
        guard !entries.isEmpty else { throw LedgerError(.refused, "no stream \(stream) in the ledger") }
        var events: [JSONValue] = []
        for (version, position) in entries {
            let r = try snapshot.record(at: position)!
            var event = JSONObject([("streamVersion", .int(Int64(version))), ("position", .int(Int64(position))),
                                    ("type", .string(r.type)), ("occurredAt", .string(RFC3339.format(r.occurredAt))),
                                    ("recordedAt", .string(RFC3339.format(r.recordedAt))), ("recordedBy", .string(r.recordedBy))])
            if !r.neighbourhood.isEmpty { event["neighbourhood"] = .string(r.neighbourhood) }
            // A stream's corrections are its own stream's: one lookup per event.
            if let mark = CorrectionMark(try snapshot.corrections(of: position)) {
                event["corrected"] = .string(mark.name)
                event["correctedBy"] = .int(Int64(mark.by))
            }
            events.append(.object(event))
        }
        let states = try snapshot.lifecycleStates(stream).map { lifecycle, instance, state -> JSONValue in
            let l = snapshot.catalogue.lifecycles[lifecycle]
            let next = l.map { $0.terminal.contains(state) ? [] : $0.allowedEvents(from: state) } ?? []
            return .object(JSONObject([("lifecycle", .string(lifecycle)), ("instance", instance.isEmpty ? .null : .string(instance)),
                                       ("state", .string(state)), ("terminal", .bool(l?.terminal.contains(state) ?? false)),
                                       ("allowedNext", .array(next.map { .string($0) }))]))
        }
        return .object(JSONObject([("stream", .string(stream)), ("events", .array(events)), ("states", .array(states))]))
    }
}
