import JSON
import Ledger
import LMDB
#if canImport(Glibc)
import Glibc
#endif

/// What one run of a projector did.
public struct ProjectionStatus: Sendable {
    public let name: String
    public let version: Int
    /// The log position the read model holds after the run.
    public let position: UInt64
    public let digest: ModelDigest
    /// Events of the log scanned past during the run (0 when the model was already current).
    public let scanned: UInt64
    /// Built from position 1 in this run (first build, --rebuild, or a new projector version).
    public let rebuilt: Bool
    /// Why the projector did not run (it needs the master key), or nil.
    public let skipped: String?
}

/// Runs projectors over a ledger: catch-up of the live read models, and folds into memory for
/// replays and for questions about the past (`--at`, `--as-of`).
public final class Projection {
    let ledger: Ledger
    let sealer: PersonalDataSealer?

    public init(ledger: Ledger, sealer: PersonalDataSealer?) {
        self.ledger = ledger
        self.sealer = sealer
    }

    public static let needsKey = "needs the master key (its fold reads sealed fields): pass --master-key FILE or set $BUURTBOEK_MASTER_KEY_FILE"

    /// Brings the live read models of `types` up to the head of the log. The rows and the new
    /// position are written in one transaction of the store, which also serialises concurrent
    /// runs: an event is never applied twice or skipped.
    @discardableResult
    public func catchUp(_ types: [any Projector.Type], rebuild: Bool = false, store: ReadModelStore,
                        progress: ((UInt64, UInt64) -> Void)? = nil) throws -> [ProjectionStatus] {
        try store.write { txn in try catchUp(types, rebuild: rebuild, store: store, txn: txn, progress: progress) }
    }

    private struct Pending {
        let run: FoldRun
        let before: ModelState
        let fresh: Bool
    }

    private func catchUp(_ types: [any Projector.Type], rebuild: Bool, store: ReadModelStore, txn: WriteTransaction,
                         progress: ((UInt64, UInt64) -> Void)?) throws -> [ProjectionStatus] {
        var pending: [Pending] = []
        var out: [ProjectionStatus] = []
        let head = try self.head()
        for projectorType in types {
            let name = projectorType.name
            let stored = try store.state(name, in: txn)
            if projectorType.readsPersonalData && sealer == nil {
                let skipped = ProjectionStatus(name: name, version: projectorType.version, position: stored?.position ?? 0,
                                               digest: stored?.digest ?? ModelDigest(), scanned: 0, rebuilt: false, skipped: Self.needsKey)
                out.append(skipped)
                continue
            }
            let p = try prepare(projectorType, stored: stored, rebuild: rebuild || (try !matchesLog(stored, head: head)), store: store, txn: txn)
            pending.append(p)
        }
        // Models starting from position 1 are folded in memory (over all cores) and written
        // whole; the others take the new events with their stored rows loaded as touched.
        let starting = pending.filter { $0.run.from == 0 }.map(\.run.projector)
        for projector in starting { for table in projector.tables { table.attach(loader: nil) } }
        if !starting.isEmpty { try foldFromStart(starting, to: head, jobs: Self.cores) { progress?($0, head) } }
        let runs = pending.map(\.run).filter { $0.from > 0 }
        if !runs.isEmpty {
            try ledger.read { snapshot in
                let from = runs.map(\.from).min() ?? head
                try Fold(snapshot: snapshot, sealer: sealer).run(runs, to: head) { progress?($0, head - from) }
            }
        }
        let root = try ledger.read { try $0.root(size: head).bytes }
        for p in pending { out.append(try finish(p, head: head, root: root, store: store, txn: txn)) }
        let order = types.map { $0.name }
        return out.sorted { order.firstIndex(of: $0.name)! < order.firstIndex(of: $1.name)! }
    }

    private func prepare(_ type: any Projector.Type, stored: ModelState?, rebuild: Bool, store: ReadModelStore,
                         txn: WriteTransaction) throws -> Pending {
        let projector = type.make()
        var state = stored ?? ModelState(version: type.version, position: 0, digest: ModelDigest())
        let fresh = rebuild || stored == nil || state.version != type.version
        if fresh {
            try store.clear(projector, in: txn)
            state = ModelState(version: type.version, position: 0, digest: ModelDigest())
        }
        for table in projector.tables {
            let db = store.database(type.name, table.name)
            table.attach { key in try txn.get(db, Array(key.utf8)).map { Array($0) } }
        }
        return Pending(run: FoldRun(projector, from: state.position), before: state, fresh: fresh)
    }

    /// Whether a stored model was folded from this log: its position lies within the log and the
    /// log's root at that position is the one it recorded (a restored or replaced log is not).
    private func matchesLog(_ stored: ModelState?, head: UInt64) throws -> Bool {
        guard let stored else { return true }
        guard stored.position <= head else { return false }
        return try ledger.read { try $0.root(size: stored.position).bytes } == stored.logRoot
    }

    private func finish(_ p: Pending, head: UInt64, root: [UInt8], store: ReadModelStore, txn: WriteTransaction) throws -> ProjectionStatus {
        var state = p.before
        state.position = head
        state.logRoot = root
        if p.before.position < head || p.fresh { try store.write(p.run.projector, state: &state, in: txn) }
        let name = type(of: p.run.projector).name
        return ProjectionStatus(name: name, version: state.version, position: state.position, digest: state.digest,
                                scanned: head > p.run.from ? head - p.run.from : 0, rebuilt: p.fresh, skipped: nil)
    }

    /// The live read models of `types`, brought up to date and read whole into memory.
    public func current(_ types: [any Projector.Type], store: ReadModelStore) throws -> [any Projector] {
        let statuses = try catchUp(types, store: store)
        if let skipped = statuses.first(where: { $0.skipped != nil }) {
            throw ProjectionError.refused("\(skipped.name) \(skipped.skipped!)")
        }
        return try store.read { txn in
            try types.map { type in
                let projector = type.make()
                for table in projector.tables {
                    var rows: [(String, UnsafeRawBufferPointer)] = []
                    try store.rows(type.name, table.name, in: txn) { rows.append(($0, $1)) }
                    try table.loadAll(rows)
                }
                return projector
            }
        }
    }

    /// Folds positions 1 through `position` into fresh projectors held in memory. Projectors
    /// share nothing, so on a machine with several cores they are split into groups of about
    /// equal work, each folded by a thread of its own from one scan of the log (FanOutFold).
    public func fold(_ types: [any Projector.Type], upTo position: UInt64, jobs: Int = Projection.cores,
                     progress: ((UInt64, UInt64) -> Void)? = nil) throws -> [any Projector] {
        if let type = types.first(where: { $0.readsPersonalData }), sealer == nil {
            throw ProjectionError.refused("\(type.name) \(Self.needsKey)")
        }
        let projectors = types.map { $0.make() }
        let head = min(position, try self.head())
        try foldFromStart(projectors, to: head, jobs: jobs) { progress?($0, head) }
        return projectors
    }

    private func foldFromStart(_ projectors: [any Projector], to head: UInt64, jobs: Int, progress: ((UInt64) -> Void)?) throws {
        let groups = Self.groups(projectors, cores: max(1, jobs))
        if groups.count <= 1 {
            try foldGroup(projectors, to: head) { done, _ in progress?(done) }
        } else {
            // The scanning thread folds the first group on top of reading the log.
            try FanOutFold(ledger: ledger, sealer: sealer).run(groups, to: head, progress: progress)
        }
    }

    private func foldGroup(_ projectors: [any Projector], to head: UInt64, progress: ((UInt64, UInt64) -> Void)?) throws {
        try ledger.read { snapshot in
            try Fold(snapshot: snapshot, sealer: sealer).run(projectors.map { FoldRun($0, from: 0) }, to: head) { progress?($0, head) }
        }
    }

    public static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Splits projectors into at most `cores` groups of about equal weight (greedy: heaviest
    /// first, into the lightest group). Weights are the measured relative cost of each fold.
    static func groups(_ projectors: [any Projector], cores: Int) -> [[any Projector]] {
        let n = min(cores, projectors.count)
        guard n > 1 else { return [projectors] }
        var groups = [[any Projector]](repeating: [], count: n)
        var load = [Double](repeating: 0, count: n)
        for p in projectors.sorted(by: { type(of: $0).foldWeight > type(of: $1).foldWeight }) {
            let i = load.indices.min { load[$0] < load[$1] }!
            groups[i].append(p)
            load[i] += type(of: p).foldWeight
        }
        return groups.indices.sorted { load[$0] > load[$1] }.map { groups[$0] }
    }

    /// The position `--as-of` names: the last event recorded at or before `micros`.
    public func position(asOf micros: Int64) throws -> UInt64 {
        try ledger.read { try $0.lastPosition(recordedAtOrBefore: micros) }
    }

    public func head() throws -> UInt64 { try ledger.read { try $0.size() } }

    /// Writes projectors folded in memory into `store` (a replay's scratch area), replacing
    /// whatever it held, and returns their states.
    public func save(_ projectors: [any Projector], position: UInt64, to store: ReadModelStore) throws -> [ProjectionStatus] {
        let root = try ledger.read { try $0.root(size: position).bytes }
        return try store.write { txn in
            try projectors.map { projector in
                try store.clear(projector, in: txn)
                var state = ModelState(version: type(of: projector).version, position: position, digest: ModelDigest(), logRoot: root)
                try store.write(projector, state: &state, in: txn)
                return ProjectionStatus(name: projector.name, version: state.version, position: position, digest: state.digest,
                                        scanned: position, rebuilt: true, skipped: nil)
            }
        }
    }

    /// Every difference between the rows of two stores, for the named projectors: one line each.
    public static func differences(_ types: [any Projector.Type], live: ReadModelStore, rebuilt: ReadModelStore) throws -> [String] {
        try live.read { a in
            try rebuilt.read { b in
                var out: [String] = []
                for type in types {
                    let (sa, sb) = (try live.state(type.name, in: a), try rebuilt.state(type.name, in: b))
                    if sa?.position != sb?.position {
                        out.append("\(type.name): live model at position \(sa?.position ?? 0), rebuilt at \(sb?.position ?? 0)")
                    }
                    for table in type.make().tables {
                        var left: [String: [UInt8]] = [:]
                        try live.rows(type.name, table.name, in: a) { left[$0] = Array($1) }
                        try rebuilt.rows(type.name, table.name, in: b) { key, value in
                            guard let mine = left.removeValue(forKey: key) else {
                                out.append("\(type.name)/\(table.name) \(key): only in the rebuilt model")
                                return
                            }
                            if !mine.elementsEqual(value) {
                                let liveText = mine.withUnsafeBytes { table.describe($0) }
                                out.append("\(type.name)/\(table.name) \(key): live \(liveText) ≠ rebuilt \(table.describe(value))")
                            }
                        }
                        for key in left.keys.sorted() { out.append("\(type.name)/\(table.name) \(key): only in the live model") }
                    }
                }
                return out
            }
        }
    }

    /// Forgets what read models derived from a resident's personal fields (erasure): the rows
    /// of projectors that read personal data, for the resident's stream.
    /// Where each read model of `types` stands against the log, as `project --status --format
    /// json` prints it and a team server answers /v1/projections: changes nothing.
    public static func statuses(_ types: [any Projector.Type], ledger: Ledger, store: ReadModelStore) throws -> [JSONValue] {
        let head = try ledger.read { try $0.size() }
        let states = try store.states()
        return types.map { type in
            let s = states[type.name]
            return .object(JSONObject([("name", .string(type.name)), ("version", s.map { .int(Int64($0.version)) } ?? .null),
                                       ("buildVersion", .int(Int64(type.version))), ("position", .int(Int64(s?.position ?? 0))),
                                       ("behind", .int(Int64(head - min(head, s?.position ?? 0)))), ("digest", s.map { .string($0.digest.description) } ?? .null)]))
        }
    }

    /// `purge` on the ledger's live read models, if it has any yet.
    public static func purgeLive(ledger: String, residentStream: String) throws -> Int {
        let path = ReadModelStore.livePath(ledger: ledger)
        guard access(path, F_OK) == 0 else { return 0 }
        return try purge(residentStream: residentStream, store: ReadModelStore(path: path))
    }

    public static func purge(residentStream: String, store: ReadModelStore) throws -> Int {
        try store.write { txn in
            var removed = 0
            for type in Projectors.all where type.readsPersonalData {
                let projector = type.make()
                guard var state = try store.state(type.name, in: txn) else { continue }
                for table in projector.tables {
                    let db = store.database(type.name, table.name)
                    table.attach { key in try txn.get(db, Array(key.utf8)).map { Array($0) } }
                    if table.contains(residentStream) { removed += 1 }
                    table.removeRow(residentStream)
                }
                try store.write(projector, state: &state, in: txn)
            }
            return removed
        }
    }
}
