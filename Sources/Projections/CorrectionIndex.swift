import JSON
import Ledger

/// The ledger's name for corrections (this file's `Correction` is the index's own entry).
private let correctionType = Correction.type

/// The `ledger.correction_recorded` events of the log, by the position they correct. Corrections
/// are rare, so the engine reads them all (through the type index) before a fold; the view of an
/// event "as corrected by position q" then needs no further reads.
struct CorrectionIndex {
    struct Correction {
        let position: UInt64
        let void: Bool
        let fields: [String: JSONValue]
    }

    static let type = correctionType

    private(set) var byTarget: [UInt64: [Correction]] = [:]
    private var targets: [UInt64: UInt64] = [:]

    /// With a `sealer` (for folds whose projectors read personal data), the amended personal
    /// fields (`personal_fields`, sealed in the correction) are opened and laid over the event
    /// with the others: a field's name says which section it belongs to, so one overlay serves
    /// both. Without it, or when the correction's key was erased, they are left out.
    init(_ snapshot: LedgerSnapshot, upTo head: UInt64, parser: JSONParser, sealer: PersonalDataSealer? = nil) throws {
        for position in try snapshot.positions(ofType: Self.type) where position <= head {
            guard let record = try snapshot.record(at: position) else { continue }
            let parsed: (UInt64, Correction)? = try parser.parse(record.data) { data in
                guard let target = data["corrects_position"]?.int, target > 0, target < position else { return nil }
                var fields: [String: JSONValue] = [:]
                if let object = data["fields"], object.kind == .object {
                    for m in object.members { fields[m.name] = m.value.value }
                }
                return (UInt64(target), Correction(position: position, void: data["action"]?.string == "void", fields: fields))
            }
            if case (let target, var correction)? = parsed {
                if let sealer, record.isSealed, case .clear(let clear) = try sealer.open(record.personal, eventId: record.id),
                   case .object(let personal)? = try parser.value(clear)["personal_fields"] {
                    var fields = correction.fields
                    for (key, value) in personal { fields[key] = value }
                    correction = Correction(position: correction.position, void: correction.void, fields: fields)
                }
                byTarget[target, default: []].append(correction)
                targets[position] = target
            }
        }
    }

    /// The event at `target` as the corrections recorded before `position` left it: nil when
    /// voided, else the fields laid over its data.
    func effect(on target: UInt64, before position: UInt64) -> [String: JSONValue]? {
        var overlay: [String: JSONValue] = [:]
        for c in byTarget[target] ?? [] where c.position < position {
            if c.void { return nil }
            overlay.merge(c.fields) { _, new in new }
        }
        return overlay
    }

    /// The position the correction at `position` corrects.
    func target(of position: UInt64) -> UInt64? { targets[position] }
}
