import JSON
import Ledger

/// A replay: the log from position 1 (to a position) folded into fresh read models in memory
/// and written to a scratch store, the live read models untouched; with `live`, compared row
/// by row with them. The CLI runs it on a ledger directory (`replay`) and a team server for an
/// analyst or an auditor (/v1/replay), so both answer with the same JSON.
public struct Replay {
    public let types: [any Projector.Type]
    public let position: UInt64
    /// What the ledger knew (`Knowledge.target`'s label), or nil for the head of the log.
    public let label: String?
    public let scratch: String
    /// The live read models' store to compare with (`--check`), or nil.
    public let live: String?
    public var jobs = Projection.cores

    public init(types: [any Projector.Type], position: UInt64, label: String?, scratch: String, live: String?) {
        (self.types, self.position, self.label, self.scratch, self.live) = (types, position, label, scratch, live)
    }

    public struct Result {
        public let statuses: [ProjectionStatus]
        /// The fold alone, without writing the scratch store or comparing.
        public let seconds: Double
        /// With `live`: one line per differing row; else nil.
        public let differences: [String]?
    }

    /// `opened` is called after each fold, so that a caller records the residents whose sealed
    /// fields a fold opened before anything else can fail.
    public func run(_ projection: Projection, progress: ((UInt64, UInt64) -> Void)? = nil, opened: () throws -> Void) throws -> Result {
        let started = Clock.nowMicros()
        let models = try projection.fold(types, upTo: position, jobs: jobs, progress: progress)
        let seconds = Double(Clock.nowMicros() - started) / 1e6
        try opened()
        let rebuilt = try ReadModelStore(path: scratch)
        let statuses = try projection.save(models, position: position, to: rebuilt)
        guard let live else { return Result(statuses: statuses, seconds: seconds, differences: nil) }
        let liveStore = try ReadModelStore(path: live)
        try projection.catchUp(types, store: liveStore)
        try opened()
        let differences = try Projection.differences(types, live: liveStore, rebuilt: rebuilt)
        return Result(statuses: statuses, seconds: seconds, differences: differences)
    }

    /// As `replay --format json` prints it (`events`, `seconds`, `scratch`, `upTo`, `models`;
    /// with a check `differences`, at most 200, and `differenceCount`). `rowsShown: false`
    /// gives each differing table's count instead of its rows, whose keys name streams and
    /// pseudonymous residents (for an analyst).
    public func json(_ result: Result, rowsShown: Bool = true) -> JSONObject {
        var o = JSONObject()
        o["events"] = .int(Int64(position))
        o["seconds"] = .double((result.seconds * 1000).rounded() / 1000)
        o["scratch"] = .string(scratch)
        o["upTo"] = label.map { .string($0) } ?? .null
        o["models"] = .array(result.statuses.map(\.json))
        if let differences = result.differences {
            let shown = rowsShown ? differences : Self.tally(differences)
            o["differences"] = .array(shown.prefix(200).map { .string($0) })
            o["differenceCount"] = .int(Int64(differences.count))
        }
        return o
    }

    /// "network/edges: 3 rows differ" for each table with differences, in order of appearance.
    static func tally(_ differences: [String]) -> [String] {
        var order: [String] = [], counts: [String: Int] = [:]
        for line in differences {
            let table = String(line.prefix { $0 != " " && $0 != ":" })
            if counts[table] == nil { order.append(table) }
            counts[table, default: 0] += 1
        }
        return order.map { "\($0): \(counts[$0]!) \(counts[$0]! == 1 ? "difference" : "differences") (rows withheld: they name streams)" }
    }
}
