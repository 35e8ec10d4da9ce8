import ArgumentParser
import JSON
import Ledger
import Privacy
import Projections
import Remote
#if canImport(Glibc)
import Glibc
#endif

struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Bring read models up to date with the log (catch-up).",
        discussion: Help.page("""
        Each read model remembers the log position it has applied; `project` folds the events
        after it and writes the rows and the new position in one transaction, so no event is
        applied twice or skipped, whoever runs it at the same time. Reports do this by themselves
        first. A projector whose version changed is rebuilt from position 1.

        The read models live in LEDGER/readmodels. Each has a digest over its rows: the same log
        gives the same digest, however the model was built (compare with `buurtboek replay`).

        READ MODELS
        \(ProjectorNames.list)

        The wellbeing model reads sealed scores and needs the master key; without it, it is
        skipped.

        EXAMPLES
          buurtboek project
          buurtboek project referrals signals
          buurtboek project --rebuild network
          buurtboek project --status
          buurtboek project --follow &          # keeps them current as workers append
        """))

    @Argument(help: ArgumentHelp("Read models to bring up to date (default: all).", valueName: "name")) var names: [String] = []
    @Flag(help: "Start the read models again from position 1.") var rebuild = false
    @Flag(help: "Show where each read model stands; change nothing.") var status = false
    @Flag(help: "After catching up, keep the read models current as events are appended, until interrupted (Ctrl-C).") var follow = false
    @OptionGroup var output: FactsFormat
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var masterKey: MasterKeyOption

    func validate() throws {
        if follow && status { throw ValidationError("--follow keeps the read models current; --status only shows them: give one") }
    }

    /// Where each read model stands, on the ledger directory or a team server (an analyst's
    /// token): the same JSON, printed the same way.
    private func showStatus(_ types: [any Projector.Type]) throws {
        let statuses: [JSONValue]
        if let remote = try ledger.remote() {
            statuses = try remote.getJSON("/v1/projections?names=" + QueryText.escape(types.map { $0.name }.joined(separator: ","))).array ?? []
        } else {
            let ledger = try self.ledger.open()
            statuses = try Projection.statuses(types, ledger: ledger, store: try ReadModelStore(path: ReadModelStore.livePath(ledger: ledger.path)))
        }
        if output.json {
            print(JSONWriter.ordered(.array(statuses)))
            return
        }
        for s in statuses {
            let position = Int(s["position"]?.int ?? 0), behind = Int(s["behind"]?.int ?? 0), built = s["buildVersion"]?.int ?? 0
            let version = s["version"]?.int.map { $0 == built ? "v\($0)" : "v\($0) (this build has v\(built): rebuilds next run)" } ?? "never built"
            let name = (s["name"]?.string ?? "").padding(toLength: 15, withPad: " ", startingAt: 0)
            print("\(name) \(version)  position \(Terminal.count(position))  \(behind == 0 ? "current" : "\(Terminal.count(behind)) behind")  digest \(s["digest"]?.string.map { String($0.prefix(16)) } ?? "-")")
        }
    }

    func run() throws {
        let types = try ProjectorNames.resolve(names)
        if status { return try showStatus(types) }
        let (ledger, unlocked) = try self.ledger.open(unlocking: masterKey)
        let store = try ReadModelStore(path: ReadModelStore.livePath(ledger: ledger.path))
        let sealer = unlocked.map(OpeningRecorder.init)
        let projection = Projection(ledger: ledger, sealer: sealer)
        try catchUp(projection, types, rebuild: rebuild, store: store, sealer: sealer, following: false)
        guard follow else { return }
        // Following: whenever the log has grown (another process appended; LMDB shows it to the
        // next read), the models fold the new events, each catch-up one transaction as above.
        var head = try projection.head()
        while true {
            usleep(200_000)
            let now = try projection.head()
            guard now != head else { continue }
            head = now
            try catchUp(projection, types, rebuild: false, store: store, sealer: sealer, following: true)
        }
    }

    /// One catch-up and its report (when following, only the models that moved, one JSON
    /// object per line with --format json).
    private func catchUp(_ projection: Projection, _ types: [any Projector.Type], rebuild: Bool, store: ReadModelStore,
                         sealer: OpeningRecorder?, following: Bool) throws {
        let progress = FoldProgress()
        let started = Clock.nowMicros()
        var statuses = try projection.catchUp(types, rebuild: rebuild, store: store) { progress.show($0, of: $1) }
        try sealer?.recordOpenings(types, worker: Environment.value("BUURTBOEK_WORKER"))
        progress.clear()
        if following { statuses = statuses.filter { $0.scanned > 0 } }
        defer { fflush(nil) }
        let elapsed = Double(Clock.nowMicros() - started) / 1e6
        if output.json {
            print(JSONWriter.ordered(.object(JSONObject([("models", .array(statuses.map(Self.json))), ("seconds", .double((elapsed * 1000).rounded() / 1000))]))))
            return
        }
        for s in statuses {
            let name = s.name.padding(toLength: 15, withPad: " ", startingAt: 0)
            if let skipped = s.skipped {
                print("\(name) skipped: \(skipped)")
            } else {
                let what = s.rebuilt ? "built from position 1, \(Terminal.count(s.scanned)) events" : s.scanned == 0 ? "already current" : "+\(Terminal.count(s.scanned)) events"
                print("\(name) v\(s.version)  position \(Terminal.count(s.position))  \(what)  digest \(s.digest.short)")
            }
        }
        print("in \(Terminal.twoDecimals(elapsed)) s")
    }
}

extension ProjectCommand {
    static func json(_ s: ProjectionStatus) -> JSONValue {
        .object(JSONObject([("name", .string(s.name)), ("version", .int(Int64(s.version))), ("position", .int(Int64(s.position))),
                            ("scanned", .int(Int64(s.scanned))), ("rebuilt", .bool(s.rebuilt)), ("skipped", s.skipped.map { .string($0) } ?? .null),
                            ("digest", .string(s.digest.description))]))
    }
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild read models from position 1 into a scratch area, for audit or comparison.",
        discussion: Help.page("""
        Folds the log from the first event (up to --at or --as-of, when given) through the
        chosen projectors, in memory, and writes the result to a scratch store (default
        LEDGER/replay, emptied first). The live read models are never touched. Prints each
        model's digest: the same log always gives the same digests, byte for byte.

        --check compares the rebuilt models with the live ones (brought up to date first) and
        lists every row that differs; the exit code is 6 when any does.

        A progress line (events, events/s, time left) appears on a terminal only.

        EXAMPLES
          buurtboek replay
          buurtboek replay --check
          buurtboek replay --as-of 2025-04-15 --projection referrals
          buurtboek replay --at 120000 --scratch /tmp/q1-replay
        """))

    @OptionGroup var knowledge: KnowledgeOptions
    @Option(name: .customLong("projection"), help: ArgumentHelp("A read model to replay (repeatable; default: all).", valueName: "name"))
    var names: [String] = []
    @Flag(help: "Compare with the live read models; exit 6 on any difference.") var check = false
    @Option(help: ArgumentHelp("Where to write the rebuilt models (default: LEDGER/replay).", valueName: "dir")) var scratch: String?
    @Option(name: .customLong("jobs"), help: ArgumentHelp("Threads that fold read models side by side (default: the number of cores).", valueName: "n"))
    var jobsGiven: Int?
    var jobs: Int { jobsGiven ?? Projection.cores }
    @OptionGroup var output: FactsFormat
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var masterKey: MasterKeyOption

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be 1 or more") }
        if check && (knowledge.at != nil || knowledge.asOf != nil) {
            throw ValidationError("--check compares with the live read models, which stand at the head of the log: leave out --at and --as-of")
        }
    }

    func run() throws {
        let (ledger, unlocked) = try self.ledger.open(unlocking: masterKey)
        let sealer = unlocked.map(OpeningRecorder.init)
        var types = try ProjectorNames.resolve(names)
        if sealer == nil && names.isEmpty {
            for type in types where type.readsPersonalData { Terminal.writeError("note: \(type.name) \(Projection.needsKey); skipped") }
            types = types.filter { !$0.readsPersonalData }
        }
        let projection = Projection(ledger: ledger, sealer: sealer)
        let target = try knowledge.position(projection)
        let position = try target?.position ?? projection.head()
        let livePath = ReadModelStore.livePath(ledger: ledger.path)
        let scratchPath = scratch ?? ledger.path + "/replay"
        guard scratchPath != livePath else { throw CLIError("--scratch \(scratchPath) is where the live read models are") }
        let progress = FoldProgress()
        let started = Clock.nowMicros()
        let models = try projection.fold(types, upTo: position, jobs: jobs) { progress.show($0, of: $1) }
        let folded = Clock.nowMicros()
        try sealer?.recordOpenings(types, worker: Environment.value("BUURTBOEK_WORKER"))
        let memory = ProcessMemory.anonymous()
        progress.clear()
        let store = try ReadModelStore(path: scratchPath)
        let statuses = try projection.save(models, position: position, to: store)
        let seconds = Double(folded - started) / 1e6
        let rate = seconds > 0 ? Int(Double(position) / seconds) : 0
        var differences: [String] = []
        if check {
            let live = try ReadModelStore(path: livePath)
            try projection.catchUp(types, store: live)
            try sealer?.recordOpenings(types, worker: Environment.value("BUURTBOEK_WORKER"))
            differences = try Projection.differences(types, live: live, rebuilt: store)
        }
        if output.json {
            var o = JSONObject()
            o["events"] = .int(Int64(position))
            o["seconds"] = .double((seconds * 1000).rounded() / 1000)
            o["scratch"] = .string(scratchPath)
            o["models"] = .array(statuses.map(ProjectCommand.json))
            if check { o["differences"] = .array(differences.prefix(200).map { .string($0) }); o["differenceCount"] = .int(Int64(differences.count)) }
            print(JSONWriter.ordered(.object(o)))
            if !differences.isEmpty { throw ExitCode(ExitStatus.integrity) }
            return
        }
        print("replayed \(Terminal.count(position)) events\(target.map { " (\($0.label))" } ?? "") through \(models.count) read model\(models.count == 1 ? "" : "s") in \(Terminal.twoDecimals(seconds)) s, \(Terminal.count(rate)) events/s; written to \(scratchPath)")
        if let memory { print("memory held after the fold: \(Terminal.bytes(memory)) (the log itself is mapped, not copied)") }
        for s in statuses {
            print("\(s.name.padding(toLength: 15, withPad: " ", startingAt: 0)) v\(s.version)  position \(Terminal.count(s.position))  digest \(s.digest.short)")
        }
        guard check else { return }
        if differences.isEmpty {
            print("check: the live read models match the replay")
            return
        }
        for line in differences.prefix(200) { print("differs: \(line)") }
        if differences.count > 200 { print("… and \(Terminal.count(differences.count - 200)) more") }
        throw CLIError("\(Terminal.count(differences.count)) difference\(differences.count == 1 ? "" : "s") between the live read models and the replay", code: ExitStatus.integrity)
    }
}

enum ProcessMemory {
    /// The process's anonymous resident memory (heap: the read models), from /proc/self/status;
    /// nil where there is no such file.
    static func anonymous() -> Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("RssAnon:") {
                return Int(text.split(separator: " ").dropFirst().first { Int($0) != nil } ?? "").map { $0 * 1024 }
            }
        }
        return nil
    }
}
