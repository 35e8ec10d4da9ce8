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

    /// The same machine as small integers, for the append path: every state name (index 0 is
    /// `none`) and, per transition, its source states as a bit mask and its target's index.
    public let states: [String]
    public let stateBytes: [[UInt8]]
    public let nameBytes: [UInt8]
    public let terminalMask: UInt64
    public let fromMasks: [UInt64]
    public let targets: [Int?]
    /// Per event type, the indices of the transitions that concern it.
    private var transitionIndexes: [String: [Int]] = [:]
    private var wildcardIndexes: [Int] = []

    /// `streamKindOf` gives each event type's stream kind (nil for an unknown type). Guard fields
    /// are checked against the schemas by `Catalogue.load`.
    init(name: String, definition: JSONValue, streamKindOf: (String) -> String?, kinds: [String: StreamKind]) throws {
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
                guard let eventKind = streamKindOf(event) else { throw CatalogueError("\(at)/event: unknown type \(event)") }
                guard eventKind == kind else {
                    throw CatalogueError("\(at)/event: \(event) belongs to stream kind \(eventKind), not \(kind)")
                }
            }
            var guardClause: Guard?
            if let w = t["when"] {
                guard let field = w["field"]?.string else { throw CatalogueError("\(at)/when needs a field") }
                let list = { (v: JSONValue?) in v.map { $0.string.map { [$0] } ?? $0.array?.compactMap(\.string) ?? [] } }
                guardClause = Guard(field: field, equals: list(w["equals"]), notEquals: list(w["notEquals"]))
            }
            transitions.append(Transition(event: event, from: from, to: t["to"]?.string, when: guardClause))
        }
        self.transitions = transitions
        var states = [Lifecycle.initialState]
        func index(_ state: String) -> Int {
            if let i = states.firstIndex(of: state) { return i }
            states.append(state)
            return states.count - 1
        }
        var fromMasks: [UInt64] = [], targets: [Int?] = []
        for t in transitions {
            fromMasks.append(t.from.reduce(0) { $0 | 1 << UInt64(index($1)) })
            targets.append(t.to.map(index))
        }
        for state in terminal { _ = index(state) }
        guard states.count <= 64 else { throw CatalogueError("\(here): more than 64 states") }
        // Names and states are stored with a length byte (in a stream's head).
        if let long = ([name] + states).first(where: { $0.utf8.count > 255 }) {
            throw CatalogueError("\(here): \"\(long.prefix(40))…\" is longer than 255 bytes")
        }
        self.states = states
        self.stateBytes = states.map { Array($0.utf8) }
        self.nameBytes = Array(name.utf8)
        self.terminalMask = terminal.reduce(0) { $0 | 1 << UInt64(states.firstIndex(of: $1)!) }
        self.fromMasks = fromMasks
        self.targets = targets
        namedTypes = Array(Set(transitions.map(\.event).filter { $0 != "*" })).sorted().map { Array($0.utf8) }
        for (i, t) in transitions.enumerated() {
            if t.event == "*" { wildcardIndexes.append(i) } else { transitionIndexes[t.event, default: []].append(i) }
        }
    }

    /// Indices of the transitions that may apply to an event of `type` (empty: this machine ignores it).
    public func transitionIndexes(for type: String) -> [Int] {
        transitionIndexes[type] ?? wildcardIndexes
    }

    /// Whether a transition names `type` itself (not through the "*" of every other type).
    public func names(_ type: String) -> Bool { transitionIndexes[type] != nil }

    /// The same for a type given as a stored record's bytes: a few comparisons, no String.
    public func names(typeBytes: UnsafeRawBufferPointer) -> Bool {
        namedTypes.contains { $0.elementsEqual(typeBytes) }
    }

    /// The types that transitions name, as bytes.
    private let namedTypes: [[UInt8]]

    /// The index of a state given as bytes (as stored), or nil for an unknown state.
    public func stateIndex(_ bytes: UnsafeRawBufferPointer) -> Int? {
        stateBytes.firstIndex { $0.elementsEqual(bytes) }
    }

    /// The transitions that may apply to an event of `type` (none: this machine ignores it).
    public func transitions(for type: String) -> [Transition] {
        transitionIndexes(for: type).map { transitions[$0] }
    }

    /// Of the transitions `indexes` (those of the event's type: `transitionIndexes(for:)`, or
    /// a type's `lifecyclePlan`), the ones whose guards pass, as a bit set (bit i: transition
    /// i); `value(field)` is the event's public field as text.
    public func candidates(among indexes: [Int], value: (String) -> String?) -> UInt64 {
        var candidates: UInt64 = 0
        for i in indexes {
            if let g = transitions[i].when, !g.allows(value(g.field)) { continue }
            candidates |= 1 << UInt64(i)
        }
        return candidates
    }

    /// What an event does to this machine in `state` (an index into `states`; 0 is none).
    public enum Step: Equatable, Sendable {
        /// The state after it (the same one when its transition names no target).
        case moves(to: Int)
        /// The machine has ended: no event may follow.
        case afterTerminal
        /// None of the event's transitions leaves this state.
        case notAllowed
    }

    /// The one step function: the writer applies it at append, verify replays it, an audit
    /// reads the states after each event with it. The first candidate transition (in the
    /// catalogue's order) that may leave `state` is taken.
    public func step(from state: Int, candidates: UInt64) -> Step {
        if terminalMask & (UInt64(1) << UInt64(state)) != 0 { return .afterTerminal }
        let bit = UInt64(1) << UInt64(state)
        var remaining = candidates
        while remaining != 0 {
            let i = remaining.trailingZeroBitCount
            if fromMasks[i] & bit != 0 { return .moves(to: targets[i] ?? state) }
            remaining &= remaining - 1
        }
        return .notAllowed
    }

    /// The events allowed from `state`, for error messages.
    public func allowedEvents(from state: String) -> [String] {
        var seen: [String] = []
        for t in transitions where t.from.contains(state) && !seen.contains(t.event) { seen.append(t.event) }
        return seen
    }
}
