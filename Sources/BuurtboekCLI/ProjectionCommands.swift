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

        Through a team server (--ledger https://..., an analyst's token) the server's own read
        models are brought up to date, the ones its reports are built from; --follow keeps them
        current for as long as it runs, and --status shows where they stand.

        EXAMPLES
          buurtboek project
          buurtboek project referrals signals
          buurtboek project --rebuild network
          buurtboek project --status
          buurtboek project --follow &          # keeps them current as workers append
          buurtboek project --follow --ledger https://buurtboek.example:8443 --token-file ~/gemeente.token
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
            print("\(name) \(version)  position \(Terminal.count(position))  \(behind == 0 ? "current" : "\(Terminal.count(behind)) behind")  digest \(Self.short(s["digest"]?.string))")
        }
    }

    func run() throws {
        let types = try ProjectorNames.resolve(names)
        if status { return try showStatus(types) }
        if let remote = try ledger.remote() { return try runRemote(remote, types) }
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

    /// Through a team server (an analyst's token): the server brings its own read models up to
    /// date and answers what moved; with --follow it does so each time its log grows, for as
    /// long as this command runs, and the lines printed are those of a local `project`.
    private func runRemote(_ remote: RemoteLedger, _ types: [any Projector.Type]) throws {
        var items = ["names=" + QueryText.escape(types.map { $0.name }.joined(separator: ","))]
        if rebuild { items.append("rebuild=true") }
        let query = items.joined(separator: "&")
        guard follow else { return show(try remote.send(.POST, "/v1/projections?" + query).json().object ?? JSONObject()) }
        try remote.follow("/v1/projections/follow?" + query) { _, data in
            show(try JSONParser().value(data).object ?? JSONObject())
            return true
        }
    }

    /// One catch-up and its report (when following, only the models that moved, one JSON
    /// object per line with --format json).
    private func catchUp(_ projection: Projection, _ types: [any Projector.Type], rebuild: Bool, store: ReadModelStore,
                         sealer: OpeningRecorder?, following: Bool) throws {
        let progress = FoldProgress()
        let started = Clock.nowMicros()
        let statuses = try projection.catchUp(types, rebuild: rebuild, store: store) { progress.show($0, of: $1) }
        try sealer?.recordOpenings(types, worker: Environment.value("BUURTBOEK_WORKER"))
        progress.clear()
        show(Projection.catchUpFacts(statuses, seconds: Double(Clock.nowMicros() - started) / 1e6, following: following))
    }

    /// Prints a catch-up given as `Projection.catchUpFacts` (made here, or by a server).
    private func show(_ facts: JSONObject) {
        defer { fflush(nil) }
        if output.json { return print(JSONWriter.ordered(.object(facts))) }
        for s in facts["models"]?.array ?? [] {
            let name = (s["name"]?.string ?? "").padding(toLength: 15, withPad: " ", startingAt: 0)
            if let skipped = s["skipped"]?.string {
                print("\(name) skipped: \(skipped)")
                continue
            }
            let scanned = Int(s["scanned"]?.int ?? 0)
            let what = s["rebuilt"]?.bool == true ? "built from position 1, \(Terminal.count(scanned)) events" : scanned == 0 ? "already current" : "+\(Terminal.count(scanned)) events"
            print("\(name) v\(s["version"]?.int ?? 0)  position \(Terminal.count(Int(s["position"]?.int ?? 0)))  \(what)  digest \(Self.short(s["digest"]?.string))")
        }
        print("in \(Terminal.twoDecimals(facts["seconds"]?.double ?? 0)) s")
    }

    static func short(_ digest: String?) -> String { digest.map { String($0.prefix(16)) } ?? "-" }
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

        Through a team server (an analyst's or an auditor's token) the server replays its log
        into a scratch store of its own (--scratch and --jobs are for a ledger directory); with
        --check an auditor is shown each differing row, an analyst how many rows of each table
        differ (row keys name streams and residents' pseudonyms).

        EXAMPLES
          buurtboek replay
          buurtboek replay --check
          buurtboek replay --as-of 2025-04-15 --projection referrals
          buurtboek replay --at 120000 --scratch /tmp/q1-replay
          buurtboek replay --check --ledger https://buurtboek.example:8443 --token-file ~/audit.token
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
        if let remote = try ledger.remote() { return try runRemote(remote) }
        let (ledger, unlocked) = try self.ledger.open(unlocking: masterKey)
        let sealer = unlocked.map(OpeningRecorder.init)
        var types = try ProjectorNames.resolve(names)
        if sealer == nil && names.isEmpty {
            for type in types where type.readsPersonalData { Terminal.writeError("note: \(type.name) \(Projection.needsKey); skipped") }
            types = types.filter { !$0.readsPersonalData }
        }
        let projection = Projection(ledger: ledger, sealer: sealer)
        let target = try knowledge.position(projection)
        let livePath = ReadModelStore.livePath(ledger: ledger.path)
        let scratchPath = scratch ?? ledger.path + "/replay"
        guard scratchPath != livePath else { throw CLIError("--scratch \(scratchPath) is where the live read models are") }
        var replay = Replay(types: types, position: try target?.position ?? projection.head(), label: target?.label,
                            scratch: scratchPath, live: check ? livePath : nil)
        replay.jobs = jobs
        let progress = FoldProgress()
        var memory: Int?
        let result = try replay.run(projection, progress: { progress.show($0, of: $1) }) {
            if memory == nil { memory = ProcessMemory.anonymous() }  // the folded models, before they are written
            progress.clear()
            try sealer?.recordOpenings(types, worker: Environment.value("BUURTBOEK_WORKER"))
        }
        try show(replay.json(result), memory: memory)
    }

    /// Through a team server (an analyst's or an auditor's token): the server replays its log
    /// into a scratch store of its own and answers what a local replay prints. An analyst
    /// sees how many rows of each table differ, never the rows (their keys name streams).
    private func runRemote(_ remote: RemoteLedger) throws {
        if scratch != nil { throw CLIError("--scratch: a team server replays into a scratch store of its own; leave it out", code: ExitStatus.usage) }
        if jobsGiven != nil { throw CLIError("--jobs: a team server folds on all of its cores; leave it out", code: ExitStatus.usage) }
        _ = try ProjectorNames.resolve(names)  // a misspelt name is refused here, with the nearest ones
        var items = names.map { "projection=\(QueryText.escape($0))" } + (try knowledge.queryItems())
        if check { items.append("check=true") }
        try show(try remote.send(.POST, "/v1/replay" + (items.isEmpty ? "" : "?" + items.joined(separator: "&"))).json().object ?? JSONObject(), memory: nil)
    }

    /// Prints a replay given as `Replay.json` (made here, or by a server); exit 6 when the
    /// check found differences.
    private func show(_ facts: JSONObject, memory: Int?) throws {
        let differences = (facts["differences"]?.array ?? []).compactMap(\.string)
        let count = Int(facts["differenceCount"]?.int ?? 0)
        if output.json {
            print(JSONWriter.ordered(.object(facts)))
            if count > 0 { throw ExitCode(ExitStatus.integrity) }
            return
        }
        let models = facts["models"]?.array ?? []
        let events = Int(facts["events"]?.int ?? 0), seconds = facts["seconds"]?.double ?? 0
        let rate = seconds > 0 ? Int(Double(events) / seconds) : 0
        print("replayed \(Terminal.count(events)) events\(facts["upTo"]?.string.map { " (\($0))" } ?? "") through \(models.count) read model\(models.count == 1 ? "" : "s") in \(Terminal.twoDecimals(seconds)) s, \(Terminal.count(rate)) events/s; written to \(facts["scratch"]?.string ?? "")")
        if let memory { print("memory held after the fold: \(Terminal.bytes(memory)) (the log itself is mapped, not copied)") }
        for s in models {
            print("\((s["name"]?.string ?? "").padding(toLength: 15, withPad: " ", startingAt: 0)) v\(s["version"]?.int ?? 0)  position \(Terminal.count(Int(s["position"]?.int ?? 0)))  digest \(ProjectCommand.short(s["digest"]?.string))")
        }
        guard facts["differenceCount"] != nil else { return }
        if count == 0 {
            print("check: the live read models match the replay")
            return
        }
        for line in differences { print("differs: \(line)") }
        if count > 200 && differences.count == 200 { print("… and \(Terminal.count(count - 200)) more") }  // rows cut at 200, not tallies
        throw CLIError("\(Terminal.count(count)) difference\(count == 1 ? "" : "s") between the live read models and the replay", code: ExitStatus.integrity)
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
