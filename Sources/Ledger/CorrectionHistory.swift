import JSON
import TextFormats

/// The corrections an event has had, read where workers look (`show`, `stream`, `log`): each
/// `ledger.correction_recorded` of stream correction-POS, in order. The amended values of
/// non-personal fields and the action are public; the reason and amended personal values are
/// sealed, and opened by the caller that may see them.
public struct CorrectionEntry: Sendable {
    public let position: UInt64
    public let void: Bool
    /// The amended non-personal fields and their new values.
    public let fields: JSONObject
    public let occurredAt: Int64
    public let recordedBy: String
    public let id: [UInt8]
}

/// What has become of an event: amended (with the position of the last amendment), voided
/// (with the void's position), or neither.
public enum CorrectionMark: Sendable, Equatable {
    case amended(by: UInt64)
    case voided(by: UInt64)

    /// The marker column's letter: A amended, V voided.
    public var letter: String {
        switch self {
        case .amended: return "A"
        case .voided: return "V"
        }
    }

    public var name: String {
        switch self {
        case .amended: return "amended"
        case .voided: return "voided"
        }
    }

    /// What the corrections of one event (oldest first) leave: voided by the first void,
    /// else amended by the last amendment; nil without corrections.
    public init?(_ corrections: [CorrectionEntry]) {
        if let void = corrections.first(where: \.void) { self = .voided(by: void.position); return }
        guard let last = corrections.last else { return nil }
        self = .amended(by: last.position)
    }

    public var by: UInt64 {
        switch self {
        case .amended(let p), .voided(let p): return p
        }
    }
}

extension LedgerSnapshot {
    /// The corrections of the event at `position`, oldest first.
    public func corrections(of position: UInt64) throws -> [CorrectionEntry] {
        let parser = JSONParser()
        return try streamPositions(Correction.stream(correcting: position)).compactMap { _, at in
            guard let record = try self.record(at: at), record.type == Correction.type else { return nil }
            let (void, fields): (Bool, JSONObject) = try parser.parse(record.data) { data in
                (data["action"]?.string == "void", data["fields"]?.value.object ?? JSONObject())
            }
            return CorrectionEntry(position: at, void: void, fields: fields, occurredAt: record.occurredAt,
                                   recordedBy: record.recordedBy, id: Array(record.id))
        }
    }

    /// Every corrected event's mark, read through the type index: corrections are few.
    public func correctionMarks() throws -> [UInt64: CorrectionMark] {
        var marks: [UInt64: CorrectionMark] = [:]
        let parser = JSONParser()
        for at in try positions(ofType: Correction.type) {
            guard let record = try self.record(at: at), let target = Correction.position(correctedBy: record.stream) else { continue }
            let void = try parser.parse(record.data) { $0["action"]?.string == "void" }
            if case .voided = marks[target] { continue }
            marks[target] = void ? .voided(by: at) : .amended(by: at)
        }
        return marks
    }
}
