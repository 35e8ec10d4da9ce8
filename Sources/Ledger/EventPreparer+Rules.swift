import Catalogue
import JSON
import Merkle
import TextFormats

/// What an event line asks of the ledger's state, found before the writer sees it: the
/// consents it needs, the lifecycle steps it takes, and a kept or restored placement.
extension EventPreparer {
    /// The consent instances the type's rules require, each with the refusal the writer gives
    /// when the resident's consent stream does not hold it.
    func consents(of data: JSONNode, resident: String?, label: EventLabel) throws -> [(stream: [UInt8], key: [UInt8], text: String)] {
        var consents: [(stream: [UInt8], key: [UInt8], text: String)] = []
        for rule in label.type.consentRules {
            if let g = rule.when, !g.allows(data[g.field].map(EventPreparer.scalarText)) { continue }
            let organisation = rule.organisationField.flatMap { data[$0]?.string } ?? ""
            let what = rule.scope + (organisation.isEmpty ? "" : " with \(organisation)")
            guard let resident else { throw label.refuse("/data", "needs consent (\(what)) but names no resident") }
            consents.append((Array(DataKeyId.residentStream(resident).utf8), Keys.instanceState(lifecycle: "consent", instance: rule.scope + "\u{1F}" + organisation),
                             "resident \(resident) has not given consent \(what) (or has withdrawn it)"))
        }
        return consents
    }

    /// The lifecycle steps the event takes, each instance small enough for a stream's head.
    func steps(of data: JSONNode, label: EventLabel) throws -> [LifecycleStep] {
        let steps = LifecycleStep.steps(of: label.type, data: data)
        if let long = steps.first(where: { $0.key.count > Keys.maxHeadEntryName }) {
            let lifecycle = long.lifecycle, name = lifecycle.name.utf8.count
            throw label.refuse("/data/\(lifecycle.instanceBy.joined(separator: "+"))", "identifies a \(lifecycle.name) of \(long.key.count - name - 1) bytes, more than the \(Keys.maxHeadEntryName - name - 1) a stream's head can hold")
        }
        return steps
    }

    /// The line's own recordedAt, kept (`import --keep-recorded-at`) when it is not in the
    /// future and not before the event occurred.
    func keptRecordedAt(_ envelope: EventEnvelope, occurred: (micros: Int64, given: Bool), label: EventLabel) throws -> Int64? {
        guard keepsRecordedAt && !restoring else { return nil }
        guard let recordedText = try envelope.text(.recordedAt), let recordedAt = RFC3339.parse(recordedText) else {
            throw label.refuse("/recordedAt", "is required with --keep-recorded-at, as an RFC 3339 date-time")
        }
        guard recordedAt <= now + EventPreparer.futureTolerance else { throw label.refuse("/recordedAt", "\(recordedText) lies in the future") }
        guard recordedAt >= occurred.micros || !occurred.given else { throw label.refuse("/recordedAt", "\(recordedText) lies before the event occurred") }
        return recordedAt
    }

    /// Where a restored event was placed in the exported log (`import --restore`), all of which
    /// a restore needs.
    func restoredPlacement(_ envelope: EventEnvelope, idGiven: Bool, occurredAtGiven: Bool, label: EventLabel) throws -> RestoredPlacement? {
        guard restoring else { return nil }
        guard idGiven else { throw label.refuse("/id", "is required when restoring") }
        guard occurredAtGiven else { throw label.refuse("/occurredAt", "is required when restoring") }
        guard let position = envelope.node(.position)?.int, position > 0 else { throw label.refuse("/position", "is required when restoring") }
        guard let version = envelope.node(.streamVersion)?.int, version > 0 else { throw label.refuse("/streamVersion", "is required when restoring") }
        guard let recordedText = try envelope.text(.recordedAt), let recordedAt = RFC3339.parse(recordedText) else {
            throw label.refuse("/recordedAt", "is required when restoring, as an RFC 3339 date-time")
        }
        var leaf: Hash?
        if let leafText = try envelope.text(.leafHash) {
            guard let hash = Hash(hex: leafText) else { throw label.refuse("/leafHash", "must be 64 hex digits") }
            leaf = hash
        }
        return RestoredPlacement(position: UInt64(position), streamVersion: UInt64(version), recordedAt: recordedAt, leafHash: leaf)
    }
}
