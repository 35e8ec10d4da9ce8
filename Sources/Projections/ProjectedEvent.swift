import JSON
import TextFormats

/// The fields of an event as a projector reads them: the stored data, with the values of any
/// correction or upcast laid over it. Reading never copies the stored bytes; the overlay is
/// empty for the great majority of events.
public struct EventData {
    private let document: LazyDocument?
    private let parsed: JSONNode?
    let overlay: [String: JSONValue]

    init(node: JSONNode?, overlay: [String: JSONValue] = [:]) {
        self.parsed = node
        self.document = nil
        self.overlay = overlay
    }

    init(document: LazyDocument, overlay: [String: JSONValue] = [:]) {
        self.parsed = nil
        self.document = document
        self.overlay = overlay
    }

    /// The stored object, parsed on first use: many folds count an event without reading a field.
    var node: JSONNode? { parsed ?? document?.root }

    /// The same stored data seen with another overlay (a correction's or an upcaster's values).
    func with(overlay: [String: JSONValue]) -> EventData {
        if let document { return EventData(document: document, overlay: overlay) }
        return EventData(node: parsed, overlay: overlay)
    }

    public func string(_ key: String) -> String? {
        if !overlay.isEmpty, let v = overlay[key] { return v.string }
        return node?[key]?.string
    }

    public func bool(_ key: String) -> Bool? {
        if !overlay.isEmpty, let v = overlay[key] { return v.bool }
        return node?[key]?.bool
    }

    public func int(_ key: String) -> Int64? {
        if !overlay.isEmpty, let v = overlay[key] { return v.int }
        return node?[key]?.int
    }

    public func double(_ key: String) -> Double? {
        if !overlay.isEmpty, let v = overlay[key] { return v.double }
        return node?[key]?.double
    }

    /// The members of an object field as (name, number) pairs, in stored (canonical) order.
    public func numbers(in key: String) -> [(String, Double)] {
        if !overlay.isEmpty, let v = overlay[key] {
            return v.object.map { $0.compactMap { m in m.value.double.map { (m.key, $0) } } } ?? []
        }
        guard let object = node?[key], object.kind == .object else { return [] }
        return object.members.compactMap { m in m.value.double.map { (m.name, $0) } }
    }
}

/// One event as every projector sees it: the envelope, the non-personal data, and (only for a
/// projector that declares it reads them, and only with the master key) the personal fields.
/// Events reach projectors already upcast to the latest version of their type.
public struct ProjectedEvent {
    public let position: UInt64
    public let type: String
    /// The type as a number, for projectors' switches (comparing strings per event is slow).
    public let kind: EventKind
    public let schemaVersion: Int
    /// The stream's bytes, valid while the event is; `stream` makes the string on demand.
    let streamBytes: UnsafeRawBufferPointer
    /// The neighbourhood code's bytes; `neighbourhood` makes the string on demand.
    let neighbourhoodBytes: UnsafeRawBufferPointer
    public let occurredAt: Int64
    public let recordedAt: Int64
    public let data: EventData
    /// nil when the event has no personal fields, the caller holds no key, or the key was erased.
    public let personal: EventData?

    public var stream: String { String(decoding: streamBytes, as: UTF8.self) }
    public var neighbourhood: String { String(decoding: neighbourhoodBytes, as: UTF8.self) }

    /// The day (since 1970) the event occurred on.
    public var day: Int { Calendar.day(ofMicros: occurredAt) }
}

/// A record's data, parsed only when a projector first reads a field. One per reader, reset for
/// each event; the nodes live until the next event's parse.
final class LazyDocument {
    private let parser = JSONParser()
    private var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
    private var parsedRoot: JSONNode?
    private var done = false
    /// A stored document that did not parse (a damaged record): the fold reports it.
    private(set) var failure: Error?

    func reset(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        parsedRoot = nil
        done = false
        failure = nil
    }

    var root: JSONNode? {
        if !done {
            done = true
            do { parsedRoot = try parser.document(bytes) } catch { failure = failure ?? error }
        }
        return parsedRoot
    }
}
