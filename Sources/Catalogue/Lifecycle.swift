import JSON

/// A state machine over the events of one stream kind, given as data in catalogue.json:
///
///     "referral": {
///       "streamKind": "referral",
///       "terminal": ["DECLINED", "REJECTED", "CLOSED"],
///       "transitions": [
///         {"event": "referral.made", "from": ["none"], "to": "REQUESTED"},
///         {"event": "referral.closed", "from": ["COMPLETED"], "to": "CLOSED",
///          "when": {"field": "reason", "equals": "completed"}}, ...]}
///
/// `none` is the state before a stream's first event; `"to": null` allows an event without a
/// change of state; `"event": "*"` covers every type of the stream kind that no transition
/// names. With `instanceBy` (field names), one stream carries one instance of the machine per
/// value of those fields: a resident's consent per scope, say.
public final class Lifecycle: @unchecked Sendable {
    public static let initialState = "none"

    public struct Guard: Sendable {
        public let field: String
        public let equals: [String]?
        public let notEquals: [String]?

        public func allows(_ value: String?) -> Bool {
            if let equals { return value.map(equals.contains) ?? false }
            if let notEquals { return !(value.map(notEquals.contains) ?? false) }
            return true
        }

        public var text: String {
            if let equals { return "\(field) = \(equals.joined(separator: "|"))" }
            return "\(field) != \((notEquals ?? []).joined(separator: "|"))"
        }
    }

    public struct Transition: Sendable {
        public let event: String
        public let from: [String]
        public let to: String?
        public let when: Guard?
    }

    public let name: String
    public let streamKind: String
    public let instanceBy: [String]
    public let terminal: Set<String>
    public let transitions: [Transition]

    init(name: String, definition: JSONValue, types: [String: [Int: EventType]], kinds: [String: StreamKind]) throws {
        let here = "catalogue.json: /lifecycles/\(name)"
        guard let kind = definition["streamKind"]?.string, kinds[kind] != nil else {
            throw CatalogueError("\(here)/streamKind must name one of the streamKinds")
        }
        self.name = name
        self.streamKind = kind
        self.instanceBy = definition["instanceBy"]?.array?.compactMap(\.string) ?? []
        self.terminal = Set(definition["terminal"]?.array?.compactMap(\.string) ?? [])
        var transitions: [Transition] = []
        for (i, t) in (definition["transitions"]?.array ?? []).enumerated() {
            let at = "\(here)/transitions/\(i)"
            guard let event = t["event"]?.string, let from = t["from"]?.array?.compactMap(\.string), !from.isEmpty else {
                throw CatalogueError("\(at): needs \"event\" and a non-empty \"from\"")
            }
            if event != "*" {
                guard let versions = types[event] else { throw CatalogueError("\(at)/event: unknown type \(event)") }
                guard versions.values.first!.streamKind.name == kind else {
                    throw CatalogueError("\(at)/event: \(event) belongs to stream kind \(versions.values.first!.streamKind.name), not \(kind)")
                }
            }
            var guardClause: Guard?
            if let w = t["when"] {
                guard let field = w["field"]?.string else { throw CatalogueError("\(at)/when needs a field") }
                let list = { (v: JSONValue?) in v.map { $0.string.map { [$0] } ?? $0.array?.compactMap(\.string) ?? [] } }
                guardClause = Guard(field: field, equals: list(w["equals"]), notEquals: list(w["notEquals"]))
                if event != "*", let type = types[event]?.values.first, type.dataClass(of: field)?.isPersonal ?? true {
                    throw CatalogueError("\(at)/when/field: \(field) must be a non-personal field of \(event)")
                }
            }
            transitions.append(Transition(event: event, from: from, to: t["to"]?.string, when: guardClause))
        }
        self.transitions = transitions
    }

    /// The transitions that may apply to an event of `type` (none: this machine ignores it).
    public func transitions(for type: String) -> [Transition] {
        let named = transitions.filter { $0.event == type }
        return named.isEmpty ? transitions.filter { $0.event == "*" } : named
    }

    /// The events allowed from `state`, for error messages.
    public func allowedEvents(from state: String) -> [String] {
        var seen: [String] = []
        for t in transitions where t.from.contains(state) && !seen.contains(t.event) { seen.append(t.event) }
        return seen
    }
}
