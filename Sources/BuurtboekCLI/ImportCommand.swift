import ArgumentParser
import Foundation
import Catalogue
import JSON
import Ledger
import Remote
import Privacy
#if canImport(Glibc)
import Glibc
#endif

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Append events from a JSON Lines file, in batches.",
        discussion: Help.page("""
        One event per line, with the keys id, type, schemaVersion, stream, expectedVersion,
        occurredAt, recordedBy, neighbourhood, correlationId, causationId and data (only type,
        stream and data are required). Blank lines are skipped.

        By default valid lines are appended and refused lines are written, with their line number
        and reason, to a rejects file (FILE.rejects.jsonl, or --rejects); the exit code is then 3.
        With --atomic the whole file is appended in one transaction, or nothing is. Lines whose id
        is already recorded with the same content count as already recorded, so running the same
        file again appends nothing twice, and an import cut short can simply be run again. A line
        without an id gets one derived from its content (a name-based UUID over the line's
        canonical JSON: see the README), so this holds for such lines too; two events that are
        otherwise the same need an id or an occurredAt of their own.

        --restore rebuilds a ledger from `buurtboek export` output: into an empty ledger it gives
        the same positions, recorded-at times, leaf hashes and tree root. A ledger that does not
        exist yet is created for it (with --schemas, else the catalogue of this build).

        --keep-recorded-at takes each line's recordedAt as its recording time instead of the
        ledger's clock: for a history kept in another system before, and for generated data (the
        demo's year). The times must not decrease along the file, nor lie before the ledger's
        last or in the future. They are the input's claim, not the ledger's clock: an auditor
        reads "recorded late" from them as given.

        EXAMPLES
          buurtboek import year.jsonl
          buurtboek import --atomic corrections.jsonl
          Tools/generate-year --events 10000 --seed 7 | buurtboek import -
          buurtboek export --ledger old.ledger | buurtboek import --restore --ledger new.ledger -
        """))

    @Argument(help: "The JSON Lines file, or - for standard input.")
    var file: String
    @Flag(help: "All or nothing: one refused line aborts the whole import.")
    var atomic = false
    @Flag(help: "Keep the exported positions and recorded-at times (into an empty ledger).")
    var restore = false
    @Flag(name: .customLong("keep-recorded-at"), help: "Keep each line's recordedAt as its recording time (a history migrated from elsewhere, or generated data).")
    var keepRecordedAt = false
    @Option(help: ArgumentHelp("Where refused lines go (default: FILE.rejects.jsonl, or import.rejects.jsonl for stdin).", valueName: "file"))
    var rejects: String?
    @Option(help: ArgumentHelp("The summary as text or json.", valueName: "format")) var format: SummaryFormat = .text
    @Option(name: .customLong("batch-size"), help: ArgumentHelp("Events per write transaction.", valueName: "n"))
    var batchSize = 50_000
    @Option(help: ArgumentHelp("With --restore into a new ledger: its schema directory (default: the catalogue of this build).", valueName: "dir"))
    var schemas: String?
    @OptionGroup var worker: WorkerOption
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var masterKey: MasterKeyOption

    enum SummaryFormat: String, Choice { case text, json }

    /// How many refused lines are shown on stderr as well as written to the rejects file.
    static let shownRefusals = 5

    func validate() throws {
        if keepRecordedAt && restore { throw ValidationError("--restore keeps the exported recorded times already; leave out --keep-recorded-at") }
        guard batchSize >= 1 && batchSize <= 1_000_000 else { throw ValidationError("--batch-size must be from 1 to 1000000") }
    }

    func run() throws {
        let rejectsPath = rejects ?? (file == "-" ? "import.rejects.jsonl" : file + ".rejects.jsonl")
        if let remote = try ledger.remote() {
            if atomic || restore || keepRecordedAt {
                throw CLIError("--atomic, --restore and --keep-recorded-at work on a ledger directory only, not through a team server", code: ExitStatus.usage)
            }
            let started = Clock.nowMicros()
            return try report(try RemoteImport(command: self, remote: remote).run(rejectsPath: rejectsPath), started: started, rejectsPath: rejectsPath)
        }
        // Each event names who recorded it. An export names them in every line; for other input
        // the worker is needed before a line is read, or every line would be refused alone.
        if !restore && worker.worker == nil {
            throw CLIError("import needs a worker: give --by WORKER or set $BUURTBOEK_WORKER (a line's own recordedBy still wins); nothing was read", code: ExitStatus.usage)
        }
        if restore && access(self.ledger.path, F_OK) != 0 {
            // A restore makes its ledger, as `init` would: the usual way back from a backup.
            let catalogue = try SchemaLocation.loadCatalogue(schemas)
            _ = try Ledger.create(at: self.ledger.path, catalogue: catalogue)
            Terminal.writeError("created ledger \(self.ledger.path) to restore into (a catalogue of \(catalogue.typeCount) event types)")
        }
        let (ledger, sealer) = try self.ledger.open(unlocking: masterKey)
        let started = Clock.nowMicros()
        let preparers = PreparerPool(catalogue: ledger.catalogue, worker: worker.worker, restoring: restore, sealer: sealer,
                                     keepsRecordedAt: keepRecordedAt)
        let engine = LedgerImport(ledger: ledger, preparers: preparers, batchSize: batchSize) { try sealer?.persist() }
        let progress = Progress(enabled: Terminal.stderrIsTerminal)
        var summary = ImportSummary()
        func show(_ counts: LedgerImport.Counts) {
            summary.counts = counts
            progress.show(summary, started: started)
        }
        if atomic {
            let source = file == "-" ? try Spool.stdinToTemporaryFile() : file
            defer { if file == "-" { unlink(source) } }
            summary.counts = try engine.atomic(path: source, progress: show)
        } else {
            var rejectsFile: RejectsFile?
            defer { try? rejectsFile?.close() }
            summary.counts = try engine.inBatches(path: file, reject: { line, error in
                if rejectsFile == nil { rejectsFile = try RejectsFile(path: rejectsPath) }
                try rejectsFile!.write(line: line.number, error: error, input: line.bytes)
                if summary.shown.count < Self.shownRefusals { summary.shown.append((line.number, error.message)) }
            }, progress: show)
            try rejectsFile?.close()
            rejectsFile = nil
        }
        progress.clear()
        try report(summary, started: started, rejectsPath: rejectsPath)
    }

    /// The summary line (or JSON), the first refusals, and the exit code they call for.
    private func report(_ summary: ImportSummary, started: Int64, rejectsPath: String) throws {
        guard summary.lines > 0 else {
            throw CLIError("nothing to import: \(file == "-" ? "standard input" : file) holds no events", code: ExitStatus.refused)
        }
        let seconds = Double(Clock.nowMicros() - started) / 1e6
        let rate = seconds > 0 ? Int(Double(summary.appended + summary.already) / seconds) : 0
        let name = file == "-" ? "standard input" : file
        if format == .json {
            var o = JSONObject()
            o["file"] = .string(name)
            o["appended"] = .int(Int64(summary.appended))
            o["alreadyRecorded"] = .int(Int64(summary.already))
            o["refused"] = .int(Int64(summary.refused))
            o["firstPosition"] = summary.firstPosition.map { .int(Int64($0)) } ?? .null
            o["lastPosition"] = summary.firstPosition == nil ? .null : .int(Int64(summary.lastPosition))
            o["seconds"] = .double((seconds * 1000).rounded() / 1000)
            o["rejectsFile"] = summary.refused > 0 ? .string(rejectsPath) : .null
            print(JSONWriter.ordered(.object(o)))
        } else {
            var line = "imported \(name): \(Terminal.count(summary.appended)) appended, \(Terminal.count(summary.already)) already recorded, \(Terminal.count(summary.refused)) refused"
            if let first = summary.firstPosition { line += " (positions \(first)-\(summary.lastPosition))" }
            line += " in \(Terminal.twoDecimals(seconds)) s, \(Terminal.count(rate)) events/s"
            print(line)
        }
        if summary.refused > 0 {
            for (number, message) in summary.shown { Terminal.writeError("  line \(number): \(message)") }
            let more = summary.refused - summary.shown.count
            Terminal.writeError("buurtboek: \(Terminal.count(summary.refused)) refused lines written to \(rejectsPath)\(more > 0 ? " (the first \(summary.shown.count) above)" : "")")
            throw ExitCode(ExitStatus.refused)
        }
    }
}

/// An import's counts, and the first refusals to show on the terminal.
struct ImportSummary {
    var counts = LedgerImport.Counts()
    var shown: [(line: Int, message: String)] = []

    var appended: Int { get { counts.tally.appended } set { counts.tally.appended = newValue } }
    var already: Int { get { counts.tally.already } set { counts.tally.already = newValue } }
    var refused: Int { get { counts.refused } set { counts.refused = newValue } }
    var lines: Int { get { counts.lines } set { counts.lines = newValue } }
    var firstPosition: UInt64? { get { counts.tally.firstPosition } set { counts.tally.firstPosition = newValue } }
    var lastPosition: UInt64 { get { counts.tally.lastPosition } set { counts.tally.lastPosition = newValue } }
}

/// A progress line on a terminal (events, rate); nothing when stderr is not one.
struct Progress {
    let enabled: Bool

    func show(_ summary: ImportSummary, started: Int64) {
        guard enabled else { return }
        let done = summary.appended + summary.already + summary.refused
        let seconds = Double(Clock.nowMicros() - started) / 1e6
        let rate = seconds > 0 ? Int(Double(done) / seconds) : 0
        Terminal.writeProgress("\(Terminal.count(done)) events, \(Terminal.count(rate)) events/s")
    }

    func clear() { if enabled { Terminal.writeProgress("") } }
}
