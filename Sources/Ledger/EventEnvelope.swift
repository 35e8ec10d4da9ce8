import Catalogue
import JSON
#if canImport(Glibc)
import Glibc
#endif

/// An event line's top-level members sorted into the envelope's slots, in one pass, with the
/// checks every envelope key shares (type, length, known, once). It borrows the parsed line:
/// it lives only while the preparer's parser holds it.
struct EventEnvelope {
    /// The envelope keys, by their position in `keys` (the order of `Slot`).
    static let keys: [[UInt8]] = ["id", "type", "schemaVersion", "stream", "expectedVersion", "occurredAt",
                                  "recordedBy", "neighbourhood", "correlationId", "causationId", "data",
                                  "position", "streamVersion", "recordedAt", "leafHash", "sealed"].map { Array($0.utf8) }

    /// The envelope's keys, in the order of `keys`.
    enum Slot: Int {
        case id, type, schemaVersion, stream, expectedVersion, occurredAt, recordedBy, neighbourhood, correlationId,
             causationId, data, position, streamVersion, recordedAt, leafHash, sealed
    }

    /// The envelope's key names, for messages.
    static let knownKeys: [String] = keys.map { String(decoding: $0, as: UTF8.self) }

    /// The slot of an envelope key, by its bytes.
    static func slot(of key: UnsafeRawBufferPointer) -> Int? {
        guard let first = key.first else { return nil }
        for (i, known) in keys.enumerated() where known.count == key.count && known[0] == first {
            if known.withUnsafeBytes({ memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }) { return i }
        }
        return nil
    }

    let source: EventSource
    private let slots: UnsafeMutableBufferPointer<JSONNode?>

    /// Sorts `root`'s members into `slots` (the preparer's, reused for every line).
    init(sorting root: JSONNode, into slots: UnsafeMutableBufferPointer<JSONNode?>, source: EventSource) throws {
        self.source = source
        self.slots = slots
        guard root.kind == .object else { throw refuse("/", "an event must be a JSON object, not \(root.kind.name)") }
        slots.update(repeating: nil)
        for member in root.members {
            guard let slot = EventEnvelope.slot(of: member.key.stringBytes) else {
                throw refuse("/\(member.name)", "unknown key (known: \(EventEnvelope.knownKeys.joined(separator: ", ")))")
            }
            guard slots[slot] == nil else { throw refuse("/\(member.name)", "appears twice") }
            slots[slot] = member.value
        }
    }

    /// A refusal naming the line and a field path, for faults found before the type is known.
    func refuse(_ path: String, _ rule: String) -> LedgerError { .refused("\(source): \(path): \(rule)") }

    /// A member's value; null counts as absent.
    func node(_ key: Slot) -> JSONNode? {
        guard let n = slots[key.rawValue], n.kind != .null else { return nil }
        return n
    }

    /// A string member's bytes (borrowed from the parsed line), checked for type and length.
    func textBytes(_ key: Slot, required: Bool = false, max: Int = EventPreparer.maxEnvelopeText) throws -> UnsafeRawBufferPointer? {
        guard let node = node(key) else {
            if required { throw refuse("/\(key)", "is required") }
            return nil
        }
        guard node.kind == .string else { throw refuse("/\(key)", "must be a string, not \(node.kind.name)") }
        guard node.stringBytes.count <= max else { throw refuse("/\(key)", "longer than \(max) bytes") }
        return node.stringBytes
    }

    func text(_ key: Slot, required: Bool = false, max: Int = EventPreparer.maxEnvelopeText) throws -> String? {
        try textBytes(key, required: required, max: max).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Names an event in refusals once its type and stream are known: "line 3 (type, stream s)".
struct EventLabel {
    let source: EventSource
    let type: EventType
    let streamBytes: UnsafeRawBufferPointer

    /// A string only where one is needed: messages, and keys of a few events.
    var stream: String { String(decoding: streamBytes, as: UTF8.self) }
    var text: String { PreparedEvent.label(source, type: type.name, stream: stream) }

    func refuse(_ path: String, _ rule: String) -> LedgerError { .refused("\(text): \(path): \(rule)") }
}
