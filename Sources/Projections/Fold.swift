import JSON
import Ledger

/// One projector in a fold, and the position its read model already holds.
final class FoldRun {
    let projector: any Projector
    let from: UInt64
    init(_ projector: any Projector, from: UInt64) {
        self.projector = projector
        self.from = from
    }
}

/// What the fold knows about one event type: its name (interned, so no string is made per
/// event) and the runs that read it.
final class TypeEntry {
    let bytes: [UInt8]
    let name: String
    let kind: EventKind
    let runs: [FoldRun]
    let readsPersonal: Bool
    let upcast: Bool

    init(bytes: [UInt8], name: String, runs: [FoldRun]) {
        self.bytes = bytes
        self.name = name
        self.kind = EventKind(name: name)
        self.runs = runs
        self.readsPersonal = runs.contains { type(of: $0.projector).readsPersonalData }
        self.upcast = Upcasting.latest[name] != nil
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Looks a record's type up by its bytes, once per event, without allocating: an open-addressed
/// table keyed by the length and the first and last eight bytes, confirmed with memcmp.
final class TypeTable {
    private var slots = [TypeEntry?](repeating: nil, count: 256)
    let runs: [FoldRun]

    init(runs: [FoldRun]) { self.runs = runs }

    private static func hash(_ bytes: UnsafeRawBufferPointer) -> Int {
        let n = bytes.count
        guard n >= 8 else {
            var h = UInt64(n)
            for b in bytes { h = h &* 31 &+ UInt64(b) }
            return Int(truncatingIfNeeded: h &* 0x9E37_79B9_7F4A_7C15 >> 56)
        }
        let head = bytes.loadUnaligned(as: UInt64.self), tail = bytes.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        let h = (head &* 0x9E37_79B9_7F4A_7C15) ^ (tail &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(n)
        return Int(truncatingIfNeeded: (h &* 0x9E37_79B9_7F4A_7C15) >> 56)
    }

    /// Whether a record of this type concerns these runs (their types, or a correction).
    func wants(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let entry = entry(bytes)
        return entry.kind == .correction || !entry.runs.isEmpty
    }

    func entry(_ bytes: UnsafeRawBufferPointer) -> TypeEntry {
        var i = Self.hash(bytes)
        while let entry = slots[i] {
            if entry.bytes.count == bytes.count,
               bytes.count == 0 || entry.bytes.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) {
                return entry
            }
            i = (i + 1) & 255
        }
        let name = String(decoding: bytes, as: UTF8.self)
        let entry = TypeEntry(bytes: Array(bytes), name: name, runs: runs.filter { type(of: $0.projector).types.contains(name) })
        if slots.reduce(0, { $0 + ($1 == nil ? 0 : 1) }) < 200 { slots[i] = entry }
        return entry
    }
}

/// Turns stored records into `ProjectedEvent`s: parses the data (and, for projectors that read
/// them, the opened personal fields), lays corrections over it and upcasts it. Each reader owns
/// its parsers, whose nodes live until its next parse; the fold uses one reader for the scan
/// and others for the earlier events a correction sends it back to.
final class EventReader {
    private let personalParser = JSONParser()
    private let sealer: PersonalDataSealer?
    /// The record's data, parsed only if a projector (or an upcaster, or a correction's
    /// overlay) reads a field.
    private let stored = LazyDocument()

    init(sealer: PersonalDataSealer?) { self.sealer = sealer }

    /// The event at `position`, corrections laid over it as `overlay` says.
    func withEvent(_ position: UInt64, _ record: RecordView, _ entry: TypeEntry, overlay: [String: JSONValue],
                   _ body: (ProjectedEvent) throws -> Void) throws {
        try read(record, entry) { data, personal in
            try body(Self.make(position, record, entry, data.with(overlay: overlay), personal: Self.personal(personal, entry, overlay)))
        }
    }

    /// The event twice from one read: as corrections left it before (`before`) and after a new
    /// one (`after`, nil when that one voids it).
    func withEvents(_ position: UInt64, _ record: RecordView, _ entry: TypeEntry, before: [String: JSONValue],
                    after: [String: JSONValue]?, _ body: (ProjectedEvent, ProjectedEvent?) throws -> Void) throws {
        try read(record, entry) { data, personal in
            try body(Self.make(position, record, entry, data.with(overlay: before), personal: Self.personal(personal, entry, before)),
                     after.map { Self.make(position, record, entry, data.with(overlay: $0), personal: Self.personal(personal, entry, $0)) })
        }
    }

    /// The stored data (read lazily) and, for projectors that read them, the personal fields.
    private func read(_ record: RecordView, _ entry: TypeEntry, _ body: (EventData, EventData?) throws -> Void) throws {
        stored.reset(record.data)
        defer { stored.reset(UnsafeRawBufferPointer(start: nil, count: 0)) }
        let data = EventData(document: stored)
        if entry.readsPersonal {
            try withPersonal(record) { try body(data, $0) }
        } else {
            try body(data, nil)
        }
        if let failure = stored.failure { throw failure }
    }

    /// The personal fields in clear, when there are any and they can be opened (else nil).
    private func withPersonal(_ record: RecordView, _ body: (EventData?) throws -> Void) throws {
        guard record.personal.count > 0 else { return try body(nil) }
        var clear: [UInt8]?
        if !record.isSealed {
            clear = Array(record.personal)
        } else if let sealer, case .clear(let bytes) = try sealer.open(record.personal, eventId: record.id) {
            clear = bytes
        }
        guard let clear else { return try body(nil) }
        try personalParser.parse(clear) { try body(EventData(node: $0)) }
    }

    /// The personal fields as corrections left them (their amended values are in the same
    /// overlay as the public ones: see `CorrectionIndex`).
    private static func personal(_ personal: EventData?, _ entry: TypeEntry, _ overlay: [String: JSONValue]) -> EventData? {
        guard entry.readsPersonal, !overlay.isEmpty else { return personal }
        return (personal ?? EventData(node: nil)).with(overlay: overlay)
    }

    private static func make(_ position: UInt64, _ record: RecordView, _ entry: TypeEntry, _ stored: EventData,
                             personal: EventData?) -> ProjectedEvent {
        var data = stored
        var version = Int(record.schemaVersion)
        if entry.upcast {
            let (v, lifted) = Upcasting.lift(type: entry.name, version: version, data: data)
            version = v
            data = stored.with(overlay: lifted)
        }
        return ProjectedEvent(position: position, type: entry.name, kind: entry.kind, schemaVersion: version,
                              streamBytes: record.streamBytes,
                              neighbourhoodBytes: record.neighbourhoodBytes,
                              occurredAt: record.occurredAt, recordedAt: record.recordedAt, data: data, personal: personal)
    }
}

/// One group of runs taking records one at a time: the type lookup, corrections and the
/// hand-over to projectors. A group belongs to one thread; `snapshot` serves the lookups a
/// correction needs (the earlier event, its stream).
final class FoldGroup {
    let runs: [FoldRun]
    private let snapshot: LedgerSnapshot
    private let corrections: CorrectionIndex
    private let types: TypeTable
    private let scan: EventReader, target: EventReader, again: EventReader

    init(_ runs: [FoldRun], snapshot: LedgerSnapshot, sealer: PersonalDataSealer?, head: UInt64) throws {
        self.runs = runs
        self.snapshot = snapshot
        let readsPersonal = runs.contains { type(of: $0.projector).readsPersonalData }
        corrections = try CorrectionIndex(snapshot, upTo: head, parser: JSONParser(), sealer: readsPersonal ? sealer : nil)
        types = TypeTable(runs: runs)
        scan = EventReader(sealer: sealer)
        target = EventReader(sealer: sealer)
        again = EventReader(sealer: sealer)
    }

    /// Whether a record of this type concerns the group (its types, or a correction).
    func wants(_ typeBytes: UnsafeRawBufferPointer) -> Bool { types.wants(typeBytes) }

    func visit(_ position: UInt64, _ record: RecordView) throws {
        let entry = types.entry(record.typeBytes)
        if entry.kind == .correction {
            try applyCorrection(at: position)
            return
        }
        guard entry.runs.contains(where: { $0.from < position }) else { return }
        try scan.withEvent(position, record, entry, overlay: [:]) { event in
            for run in entry.runs where run.from < position { run.projector.apply(event) }
        }
    }

    func finish() { for run in runs { run.projector.finish() } }

    /// A correction at `position`: every run that reads the corrected event's type, and has
    /// applied it, takes the before and after views of it.
    private func applyCorrection(at position: UInt64) throws {
        guard let targetPosition = corrections.target(of: position),
              let before = corrections.effect(on: targetPosition, before: position),
              let record = try snapshot.record(at: targetPosition) else { return }
        let entry = types.entry(record.typeBytes)
        let after = corrections.effect(on: targetPosition, before: position + 1)
        for run in entry.runs where run.from < position {
            let refold = Refold { [snapshot, corrections, types, again] stream in
                for (_, p) in try snapshot.streamPositions(stream) where p < position {
                    guard let r = try snapshot.record(at: p) else { continue }
                    let e = types.entry(r.typeBytes)
                    guard e.runs.contains(where: { $0 === run }), let overlay = corrections.effect(on: p, before: position + 1) else { continue }
                    try again.withEvent(p, r, e, overlay: overlay) { run.projector.apply($0) }
                }
            }
            try target.withEvents(targetPosition, record, entry, before: before, after: after) { original, amended in
                try run.projector.correct(original: original, amended: amended, refold: refold)
            }
        }
    }
}

/// The fold of one group on the calling thread: one pass over the log from the lowest position
/// any run still needs (or, when the group reads a small part of the log, a visit of just its
/// events found through the type index).
struct Fold {
    let snapshot: LedgerSnapshot
    let sealer: PersonalDataSealer?

    /// Folds positions up to `head` into `runs`. `progress` is called now and then with the
    /// number of events scanned.
    func run(_ runs: [FoldRun], to head: UInt64, progress: ((UInt64) -> Void)? = nil) throws {
        guard let start = runs.map(\.from).min(), start < head else { return }
        let group = try FoldGroup(runs, snapshot: snapshot, sealer: sealer, head: head)
        var scanned: UInt64 = 0
        func visit(_ position: UInt64, _ record: RecordView) throws {
            scanned += 1
            if scanned & 0xFFFF == 0 { progress?(scanned) }
            try group.visit(position, record)
        }
        if let positions = try sparsePositions(runs, from: start + 1, to: head) {
            try snapshot.visit(positions) { try visit($0, $1) }
        } else {
            try snapshot.scan(from: start + 1, to: head) { try visit($0, $1); return true }
        }
        progress?(scanned)
        group.finish()
    }

    /// When the runs read a small part of a long stretch of the log, the positions of just
    /// their events (from the type index), else nil: then a straight scan is cheaper than one
    /// lookup per event.
    private func sparsePositions(_ runs: [FoldRun], from: UInt64, to: UInt64) throws -> [UInt64]? {
        guard to >= from, to - from >= 100_000 else { return nil }
        let names = Array(runs.reduce(into: Set([CorrectionIndex.type])) { $0.formUnion(type(of: $1.projector).types) })
        let wanted = try snapshot.count(ofTypes: names)
        guard Double(wanted) < 0.6 * Double(try snapshot.size()) else { return nil }
        // A bitmap over the stretch gathers the per-type position lists in log order.
        var bits = [UInt64](repeating: 0, count: Int((to - from) / 64 + 1))
        for name in names {
            for p in try snapshot.positions(ofType: name) where p >= from && p <= to {
                let i = Int(p - from)
                bits[i >> 6] |= 1 << UInt64(i & 63)
            }
        }
        var out: [UInt64] = []
        out.reserveCapacity(wanted)
        for (w, word) in bits.enumerated() where word != 0 {
            var rest = word
            while rest != 0 {
                let bit = rest.trailingZeroBitCount
                out.append(from + UInt64(w * 64 + bit))
                rest &= rest - 1
            }
        }
        return out
    }
}
