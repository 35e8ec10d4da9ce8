import JSON
import Ledger

/// Erases a resident (GDPR article 17): appends resident.erased, which holds no personal data,
/// then destroys every data key that sealed their fields (their own, their streams', the
/// corrections' to those), and records the erasure in the access record. The log keeps every
/// record, so the tree and its proofs still verify; the fields read as [erased] from then on.
/// Used by the local `erase` and the server's admin route alike.
public struct ResidentErasure {
    public struct Outcome: Sendable {
        /// An earlier erasure was completed (its event was already in the log).
        public let completedEarlier: Bool
        public let keysDestroyed: Int
        public let streamsClosed: Int
        public let readModelRowsRemoved: Int

        /// As the server answers it and the CLI prints from it.
        public var json: JSONValue {
            .object(JSONObject([("completedEarlier", .bool(completedEarlier)), ("keysDestroyed", .int(Int64(keysDestroyed))),
                                ("streamsClosed", .int(Int64(streamsClosed))), ("readModelRowsRemoved", .int(Int64(readModelRowsRemoved)))]))
        }
    }

    let ledger: Ledger
    let sealer: Sealer
    /// Who erases: the local worker, or the admin at the server.
    let erasedBy: String?

    public init(ledger: Ledger, sealer: Sealer, erasedBy: String?) {
        self.ledger = ledger
        self.sealer = sealer
        self.erasedBy = erasedBy
    }

    /// `forgetDerived` has the read models forget what they derived from the resident's
    /// personal fields (given the resident's stream), answering how many rows it removed.
    public func erase(_ id: String, request: String, legalBasis: String, forgetDerived: (String) throws -> Int) throws -> Outcome {
        let stream = DataKeyId.residentStream(id)
        // A resident is in the ledger through their own stream, a stream whose first event
        // names them (resident_id), or a data key of theirs (a later event that named them).
        let (ownStream, named, already) = try ledger.read { s in
            (!(try s.streamPositions(stream).isEmpty), !(try s.residentStreams(id).isEmpty), try s.isErased(id))
        }
        let holdsKey = try sealer.keyStore.holdsKey("resident:" + id)
        guard ownStream || named || already || holdsKey else {
            throw LedgerError(.refused, "no resident \(id) in the ledger (no stream \(stream), no event names them, no data key of theirs)")
        }
        // The destroyed keys must not survive in the store's free pages, which needs the store
        // to itself for a moment: refuse now, before anything is recorded, if it cannot have it.
        try sealer.keyStore.waitForSoleUse()
        if !already {
            var object = JSONObject()
            object["type"] = .string("resident.erased")
            object["stream"] = .string(stream)
            object["data"] = .object(JSONObject([("request_ref", .string(request)), ("legal_basis", .string(legalBasis))]))
            let outcomes = try ledger.append(preparing: { catalogue in
                [try EventPreparer(catalogue: catalogue, defaultWorker: erasedBy, sealer: sealer).prepare(line: JSONWriter.canonical(.object(object)), source: "erasure")]
            })
            if case .refused(let error) = outcomes[0] { throw error }
        }
        let (streams, corrections) = try ledger.read { s in (try s.residentStreams(id), try s.correctionStreams(ofResident: id)) }
        let keys = ["resident:" + id] + ([stream] + streams + corrections).map { "stream:" + $0 }
        let destroyed = try sealer.keyStore.destroy(keys)
        try sealer.keyStore.recordAccess(worker: erasedBy ?? "unknown", subject: "resident:" + id,
                                         command: "erase resident \(id) --request \(request)")
        return Outcome(completedEarlier: already, keysDestroyed: destroyed, streamsClosed: streams.count + 1,
                       readModelRowsRemoved: try forgetDerived(stream))
    }
}
