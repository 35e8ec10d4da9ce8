import Catalogue
import LMDB

/// The lifecycle states an event moves, checked by the one step function of
/// `Lifecycle.step(from:candidates:)`, and the stream head that records them.
extension BatchWriter {
    /// A lifecycle state this event changes, under its entry's name in the stream's head.
    struct Move {
        let lifecycle: Lifecycle
        let key: [UInt8]
        let state: [UInt8]
    }

    /// The moves of the event as the first of a new stream, into `moves`; false when a new
    /// stream could not start with it. Reads nothing and builds no message: it is asked of
    /// most events. (A stream's lifecycle states belong to the stream: a new one has none.)
    mutating func movesForNewStream(_ event: PreparedEvent) -> Bool {
        moves.removeAll(keepingCapacity: true)
        for step in event.steps {
            let lifecycle = step.lifecycle
            guard case .moves(let to) = lifecycle.step(from: 0, candidates: step.candidates) else { return false }
            if to != 0 { moves.append(Move(lifecycle: lifecycle, key: step.key, state: lifecycle.stateBytes[to])) }
        }
        return true
    }

    /// The states this event moves and their new values, into `moves`; throws when a machine
    /// refuses. States are read in place, from the head's bytes.
    mutating func lifecycleMoves(_ event: PreparedEvent, head: StreamIndex.Head?) throws {
        moves.removeAll(keepingCapacity: true)
        for step in event.steps {
            let lifecycle = step.lifecycle
            var state = 0
            let stored: UnsafeRawBufferPointer?
            stored = head?.state(of: step.key)
            if let stored {
                guard let index = lifecycle.stateIndex(stored) else {
                    throw LedgerError(.integrity, "\(event.stream): unknown state \(String(decoding: stored, as: UTF8.self)) in the \(lifecycle.name) lifecycle")
                }
                state = index
            }
            switch lifecycle.step(from: state, candidates: step.candidates) {
            case .afterTerminal: throw refusal(event, step, state: state, terminal: true)
            case .notAllowed: throw refusal(event, step, state: state, terminal: false)
            case .moves(let to): if to != state { moves.append(Move(lifecycle: lifecycle, key: step.key, state: lifecycle.stateBytes[to])) }
            }
        }
    }

    private func refusal(_ event: PreparedEvent, _ step: LifecycleStep, state index: Int, terminal: Bool) -> LedgerError {
        let lifecycle = step.lifecycle
        let state = lifecycle.states[index]
        let instance = step.instance.isEmpty ? "" : " for \(step.instance.replacing("\u{1F}", with: "/"))"
        if terminal {
            return .refused("\(event.label): the \(lifecycle.name) lifecycle\(instance) is in its terminal state \(state); no event may follow")
        }
        let allowed = lifecycle.allowedEvents(from: state)
        let guards = lifecycle.transitions(for: event.type.name).filter { $0.from.contains(state) }.compactMap { $0.when?.text }
        let condition = guards.isEmpty ? "" : " with this data (from \(state) it needs \(guards.joined(separator: " or ")))"
        return .refused("\(event.label): \(event.type.name) is not allowed\(condition) in state \(state) of the \(lifecycle.name) lifecycle\(instance); allowed from \(state): \(allowed.isEmpty ? "nothing" : allowed.joined(separator: ", "))")
    }

    /// The stream's new head, into `headBytes`: the `previous` head's states with the moves of
    /// the lifecycles it holds applied.
    mutating func encodeHead(version: UInt64, last: UInt64, previous: UnsafeRawBufferPointer) {
        headChanges.removeAll(keepingCapacity: true)
        for move in moves { headChanges.append((move.key, move.state)) }
        if headChanges.count > 1 { headChanges.sort { $0.lifecycle.lexicographicallyPrecedes($1.lifecycle) } }
        StreamIndex.Head.encode(version: version, last: last, previous: previous, changes: headChanges, into: &headBytes)
    }
}
