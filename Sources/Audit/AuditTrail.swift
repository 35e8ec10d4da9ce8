import Catalogue
import JSON
import Ledger
import Merkle
import TextFormats

/// The history of one referral, signal or resident as an auditor reads it.
public struct AuditTrail {
    public struct Event {
        public let position: UInt64
        public let id: String
        public let type: String
        public let stream: String
        public let streamVersion: UInt64
        public let occurredAt: Int64
        public let recordedAt: Int64
        public let recordedBy: String
        /// The public (N and P) fields.
        public let data: JSONValue
        /// The lifecycle state after this event (nil for events outside the subject's lifecycle).
        public let stateAfter: String?
        /// Positions of the corrections that amend or void this event.
        public var corrections: [UInt64] = []
        /// The record's bytes (the Merkle leaf), its hash and its inclusion proof in the checkpoint.
        public let record: [UInt8]
        public let leafHash: Hash
        public var inclusionProof: [Hash]?
        public let sealed: Bool
    }

    public struct Anomaly {
        public let position: UInt64?
        public let kind: String
        public let message: String
    }

    public let subject: String
    public let streams: [String]
    public var events: [Event]
    public var anomalies: [Anomaly]
    /// The latest checkpoint (its note) and its size, when there is one.
    public let checkpoint: (size: UInt64, note: String)?
    public let lifecycle: Lifecycle?

    public struct Options {
        public var lateAfterDays: Int = 7
        public var now: Int64 = Clock.nowMicros()
        public init() {}
    }
}

extension AuditTrail {
    public enum Kind: String, CaseIterable, Sendable { case referral, signal, resident }

    /// Builds the trail of `id` (a referral or signal stream, or a resident id).
    public static func build(_ kind: Kind, id: String, ledger: Ledger, options: Options = Options()) throws -> AuditTrail {
        try ledger.read { s in
            var streams: [String]
            switch kind {
            case .referral: streams = [id.hasPrefix("referral-") ? id : "referral-" + id]
            case .signal: streams = [id.hasPrefix("signal-") ? id : "signal-" + id]
            case .resident:
                let resident = DataKeyId.resident(ofStream: id) ?? id
                streams = [DataKeyId.residentStream(resident)] + (try s.residentStreams(resident))
            }
            var positions: [UInt64] = []
            for stream in streams { positions += try s.streamPositions(stream).map(\.position) }
            positions.sort()
            guard !positions.isEmpty else {
                throw LedgerError(.refused, "no \(kind.rawValue) \(id) in the ledger (no events in \(streams[0]))")
            }
            let checkpoint = try s.checkpoints().last
            let lifecycle = kind == .resident ? nil : ledger.catalogue.lifecycles[kind.rawValue]
            let parser = JSONParser()
            var state = Lifecycle.initialState
            var events: [Event] = []
            for position in positions {
                let record = try s.record(at: position)!
                let data = try parser.value(Array(record.data))
                var after: String?
                if let lifecycle, record.stream == streams[0] {
                    state = LifecycleReplay.next(lifecycle, state: state, type: record.type, data: data) ?? state
                    after = state
                }
                var proof: [Hash]?
                if let (size, _) = checkpoint, position <= size {
                    proof = try Merkle.inclusionProof(leaf: Int64(position) - 1, size: Int64(size), reader: s.hashReader)
                }
                events.append(Event(position: position, id: UUIDText.format(record.id), type: record.type, stream: record.stream,
                                    streamVersion: record.streamVersion, occurredAt: record.occurredAt, recordedAt: record.recordedAt,
                                    recordedBy: record.recordedBy, data: data, stateAfter: after, record: Array(record.bytes),
                                    leafHash: try s.leafHash(at: position), inclusionProof: proof, sealed: record.isSealed))
            }
            // Corrections name the event they amend or void.
            let byId = Dictionary(uniqueKeysWithValues: events.enumerated().map { ($0.element.id, $0.offset) })
            for position in try s.positions(ofType: Correction.type) {
                let data = try parser.value(Array(try s.record(at: position)!.data))
                if let target = data["corrects_event_id"]?.string, let i = byId[target] { events[i].corrections.append(position) }
            }
            var trail = AuditTrail(subject: "\(kind.rawValue) \(id)", streams: streams, events: events, anomalies: [],
                                   checkpoint: checkpoint, lifecycle: lifecycle)
            trail.anomalies = try Anomalies.find(kind, trail: trail, snapshot: s, options: options)
            return trail
        }
    }
}

/// Runs a lifecycle over recorded events, as the ledger did when it appended them.
public enum LifecycleReplay {
    /// The state after an event of `type` with public `data`; nil when no transition applies.
    public static func next(_ lifecycle: Lifecycle, state: String, type: String, data: JSONValue) -> String? {
        guard let from = lifecycle.states.firstIndex(of: state) else { return nil }
        let candidates = lifecycle.candidates(among: lifecycle.transitionIndexes(for: type)) { field in
            data[field].map { v in v.string ?? v.bool.map { $0 ? "true" : "false" } ?? v.int.map(String.init) ?? "" }
        }
        guard case .moves(let to) = lifecycle.step(from: from, candidates: candidates) else { return nil }
        return lifecycle.states[to]
    }
}
