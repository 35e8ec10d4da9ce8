import Catalogue
import JSON
import LMDB
import TextFormats
import Threads

/// How `verify` checks the lifecycle states that the stream heads hold: it replays every event
/// through the state machines of the catalogue in force at its position, as the writer applied
/// them (the same steps, from the event's public data), and compares the states each stream
/// ends with to its head. It holds the current states of every stream that has any, not the
/// events (for a generated year of 1,000,000 events, verify's peak memory grew by 38 MiB).
///
/// A guard or instance field that an event keeps in its sealed section cannot be read here; a
/// stream with such an event is left unchecked (no catalogue shipped does that: the fields the
/// machines read are public).
struct LifecycleReplay {
    /// The states each stream's events set, by entry name (see `Keys.instanceState`).
    private var states: [StreamKey: [(lifecycle: [UInt8], state: [UInt8])]] = [:]
    private var sorted: [(stream: [UInt8], states: [(lifecycle: [UInt8], state: [UInt8])])] = []
    private(set) var unchecked: Set<StreamKey> = []
    /// The erasures, noted here because the replay knows each event's type in its time.
    private(set) var erasures = Erasures()
    /// The catalogues in force, from the position each came into force.
    private let catalogues: [(from: UInt64, catalogue: Catalogue)]
    private var current = -1
    private var types: [(name: [UInt8], version: Int, type: EventType)] = []
    private let parser = JSONParser()

    init(_ txn: Transaction, db: Ledger.Databases, inForce: (number: UInt32, catalogue: Catalogue)) throws {
        var catalogues: [(UInt64, Catalogue)] = []
        try db.catalogueHistory.forEach(txn) { from, number in
            if number == inForce.number {
                catalogues.append((from, inForce.catalogue))
            } else {
                guard let bundle = try db.catalogues.get(txn, number) else {
                    throw LedgerError(.integrity, "the catalogue history names catalogue \(number) from position \(from), which is not stored")
                }
                do { catalogues.append((from, try Catalogue(bundle: bundle))) } catch {
                    throw LedgerError(.integrity, "the stored catalogue \(number) cannot be loaded: \(error)")
                }
            }
            return true
        }
        self.catalogues = catalogues
    }

    /// Events whose neighbourhood is not an area of the division in force when they occurred,
    /// under the register of the catalogue that validated them: a restore puts such events
    /// back as they were (see `EventPreparer.checkNeighbourhood`). Verify reports them; the
    /// tree and indexes still prove them unaltered.
    private(set) var outsideDivision: [UInt64] = []
    private(set) var outsideCount = 0
    private var areas: AreaIndex?

    mutating func add(_ record: RecordView, position: UInt64) throws {
        while current + 1 < catalogues.count && catalogues[current + 1].from <= position {
            current += 1
            types.removeAll()
            areas = catalogues[current].catalogue.areas?.index()
        }
        if areas != nil, !record.neighbourhoodBytes.isEmpty,
           !areas!.holds(record.neighbourhood, onDay: Calendar.day(ofMicros: record.occurredAt)) {
            outsideCount += 1
            if outsideDivision.count < 10 { outsideDivision.append(position) }
        }
        let type = try eventType(record, position: position)
        if type.erasesSubject { try erasures.note(record, position: position, parser: parser) }
        guard !type.lifecyclePlan.isEmpty else { return }
        let stream = StreamKey(record.streamBytes)
        guard unchecked.isEmpty || !unchecked.contains(stream) else { return }
        let steps = try parser.parse(record.data) { data in LifecycleStep.steps(of: type, data: data) }
        if record.isSealed, let sealed = try? SealedSection(record.personal),
           steps.contains(where: { step in LifecycleReplay.fields(step.lifecycle, for: type.name).contains(where: sealed.fields.contains) }) {
            unchecked.insert(stream)
            states[stream] = nil
            return
        }
        // One lookup, the states changed in place (a stream whose events move nothing keeps an
        // empty entry).
        try LifecycleReplay.apply(steps, to: &states[stream, default: []], record: record, position: position)
    }

    private static func apply(_ steps: [LifecycleStep], to held: inout [(lifecycle: [UInt8], state: [UInt8])],
                              record: RecordView, position: UInt64) throws {
        for move in try moves(of: steps, from: held, record: record, position: position) {
            if let i = held.firstIndex(where: { $0.lifecycle == move.lifecycle }) { held[i].state = move.state } else { held.append(move) }
        }
    }

    /// The states the steps move, computed from the states before the event, as the writer
    /// does; an event that a machine refuses is an integrity error (the writer never placed it).
    private static func moves(of steps: [LifecycleStep], from held: [(lifecycle: [UInt8], state: [UInt8])],
                              record: RecordView, position: UInt64) throws -> [(lifecycle: [UInt8], state: [UInt8])] {
        var moves: [(lifecycle: [UInt8], state: [UInt8])] = []
        for step in steps {
            let lifecycle = step.lifecycle
            func failure(_ what: String) -> LedgerError {
                let instance = step.instance.isEmpty ? "" : " for \(step.instance.replacing("\u{1F}", with: "/"))"
                return LedgerError(.integrity, "position \(position) (\(record.type), stream \(record.stream)): \(what.replacing("LIFECYCLE", with: "the \(lifecycle.name) lifecycle\(instance)"))")
            }
            var state = 0
            if let stored = held.first(where: { $0.lifecycle == step.key })?.state {
                // The writer refuses to move a state its catalogue does not know.
                guard let index = stored.withUnsafeBytes({ lifecycle.stateIndex($0) }) else {
                    throw failure("LIFECYCLE has no state \(String(decoding: stored, as: UTF8.self)), which an earlier event set")
                }
                state = index
            }
            switch lifecycle.step(from: state, candidates: step.candidates) {
            case .afterTerminal: throw failure("recorded after LIFECYCLE reached its terminal state \(lifecycle.states[state])")
            case .notAllowed: throw failure("LIFECYCLE allows no such event from state \(lifecycle.states[state])")
            case .moves(let to): if to != state { moves.append((step.key, lifecycle.stateBytes[to])) }
            }
        }
        return moves
    }

    /// The fields a machine reads of an event of `type`: its instance's and its guards'.
    private static func fields(_ lifecycle: Lifecycle, for type: String) -> [String] {
        lifecycle.instanceBy + lifecycle.transitions(for: type).compactMap { $0.when?.field }
    }

    /// The type of the record under the catalogue in force at its position.
    private mutating func eventType(_ record: RecordView, position: UInt64) throws -> EventType {
        let name = record.typeBytes, version = record.schemaVersion
        if let known = types.first(where: { $0.version == Int(version) && Keys.equal($0.name, name) }) { return known.type }
        guard current >= 0, let type = catalogues[current].catalogue.type(record.type, version: Int(version)) else {
            throw LedgerError(.integrity, "position \(position): type \(record.type) v\(version) is not in the catalogue in force there")
        }
        types.append((Array(name), Int(version), type))
        return type
    }

    /// Puts the replayed states in the heads' key order, for `check` to walk beside them: done
    /// on the replay's thread while verify checks the other indexes, it spares `check` a hash
    /// lookup per head (which took a sixth of verify's time on its thread).
    mutating func sortForCheck() {
        sorted = states.map { (stream: $0.key.bytes, states: $0.value) }.sorted { $0.stream.lexicographicallyPrecedes($1.stream) }
        states = [:]
    }

    /// Compares the replayed states (after `sortForCheck`) with each stream's head, walking
    /// both in key order. Returns how many heads hold states, and how many of those were left
    /// unchecked.
    func check(_ txn: Transaction, db: Ledger.Databases) throws -> (withStates: Int, unchecked: Int) {
        let heads = try txn.cursor(db.streams.raw)
        var entry = try heads.first()
        var withStates = 0, next = 0
        // The key is made only when some stream was left unchecked (none, with the catalogues shipped).
        func checked(_ stream: @autoclosure () -> StreamKey) -> Bool { unchecked.isEmpty || !unchecked.contains(stream()) }
        func byName(_ states: [(lifecycle: [UInt8], state: [UInt8])]) -> [(lifecycle: [UInt8], state: [UInt8])] {
            states.sorted { $0.lifecycle.lexicographicallyPrecedes($1.lifecycle) }
        }
        while let e = entry {
            // Streams before this head in key order have no head at all (the stream index
            // check names that); any states they were replayed into are reported here.
            while next < sorted.count && Keys.compare(sorted[next].stream, e.key) < 0 {
                if !sorted[next].states.isEmpty && checked(StreamKey(sorted[next].stream)) {
                    throw LedgerError(.integrity, "stream \(String(decoding: sorted[next].stream, as: UTF8.self)) has lifecycle states but no head")
                }
                next += 1
            }
            var replayed: [(lifecycle: [UInt8], state: [UInt8])] = []
            if next < sorted.count && Keys.compare(sorted[next].stream, e.key) == 0 {
                replayed = sorted[next].states
                next += 1
            }
            if e.value.count > 16 { withStates += 1 }
            if e.value.count > 16 || !replayed.isEmpty, checked(StreamKey(e.key)) {
                try compare(stream: e.key, stored: try StreamIndex.Head(e.value).states, replayed: byName(replayed))
            }
            entry = try heads.next()
        }
        if let orphan = sorted[next...].first(where: { !$0.states.isEmpty && checked(StreamKey($0.stream)) }) {
            throw LedgerError(.integrity, "stream \(String(decoding: orphan.stream, as: UTF8.self)) has lifecycle states but no head")
        }
        return (withStates, unchecked.count)
    }

    private func compare(stream: UnsafeRawBufferPointer, stored: [(lifecycle: [UInt8], state: [UInt8])],
                         replayed: [(lifecycle: [UInt8], state: [UInt8])]) throws {
        guard stored.elementsEqual(replayed, by: { $0.lifecycle == $1.lifecycle && $0.state == $1.state }) else {
            throw LedgerError(.integrity, "stream \(String(decoding: stream, as: UTF8.self)): its head holds the lifecycle states \(LifecycleReplay.text(stored)), but its events lead to \(LifecycleReplay.text(replayed))")
        }
    }

    private static func text(_ states: [(lifecycle: [UInt8], state: [UInt8])]) -> String {
        states.isEmpty ? "(none)" : states.map { entry in
            let name = String(decoding: entry.lifecycle.map { $0 == 0 ? UInt8(ascii: " ") : ($0 == 0x1F ? UInt8(ascii: "/") : $0) }, as: UTF8.self)
            return "\(name)=\(String(decoding: entry.state, as: UTF8.self))"
        }.joined(separator: ", ")
    }
}

/// A stream id as a dictionary key, hashed in one call over its bytes (an array of bytes as a
/// key is hashed byte by byte: a third of the replay's time in a profile).
struct StreamKey: Hashable {
    let bytes: [UInt8]
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = Array(bytes) }
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
}

/// A `LifecycleReplay` on a thread of its own, beside verify's pass over the log: the replay
/// (parsing each event's data, a dictionary of every stream's states) costs about as much as
/// the rest of verify, and needs nothing from the pass but the records. They are handed over as
/// views of the read transaction's pages, which stay mapped while it is open: `finish` or
/// `drain` must return before the transaction ends.
final class ConcurrentReplay: @unchecked Sendable {
    /// A record as the pass already parsed it: views of the transaction's pages.
    private struct Record: @unchecked Sendable {
        let view: RecordView
        let position: UInt64
    }

    private static let segmentSize = 4096

    private let worker: SerialWorker
    // Touched only by `worker`'s jobs, or after `drain`:
    private var replay: LifecycleReplay
    private var failure: (position: UInt64, error: Error)?
    // Touched only by the verifying thread:
    private var segment = Segments<Record>(size: ConcurrentReplay.segmentSize)

    init(_ replay: LifecycleReplay) throws {
        self.replay = replay
        worker = try SerialWorker()
    }

    func add(_ record: RecordView, position: UInt64) {
        if let records = segment.add(Record(view: record, position: position)) { handOver(records) }
    }

    private func handOver(_ records: [Record]) {
        worker.submit { [self] in
            guard failure == nil else { return }
            for record in records {
                do { try replay.add(record.view, position: record.position) } catch {
                    failure = (record.position, error)
                    return
                }
            }
        }
    }

    /// Waits for the records handed over, and throws what the replay found at a position before
    /// `position`: verify names the first position that does not match, whichever check found it.
    func throwIfFailed(before position: UInt64) throws {
        if let records = segment.take() { handOver(records) }
        worker.drain()
        if let failure, failure.position < position { throw failure.error }
    }

    /// The erasures the replay noted (after `throwIfFailed`).
    func erasures() -> Erasures {
        worker.drain()
        return replay.erasures
    }

    /// Sorts the replayed states on the replay's thread (after `throwIfFailed`), while the
    /// verifying thread goes on with the other indexes.
    func sortForCheck() {
        worker.submit { [self] in replay.sortForCheck() }
    }

    /// Compares the replayed states with the heads (after `sortForCheck`): how many heads hold
    /// states, and how many of those were left unchecked.
    func finish(_ txn: Transaction, db: Ledger.Databases) throws -> (withStates: Int, unchecked: Int) {
        worker.drain()
        return try replay.check(txn, db: db)
    }

    /// How many events name a neighbourhood outside the division of their time, and the first
    /// few positions (after `finish`).
    var outsideDivision: (count: Int, first: [UInt64]) { (replay.outsideCount, replay.outsideDivision) }

    /// Waits until the replay no longer reads the records handed over (when verify stops early).
    func drain() {
        worker.drain()
    }
}
