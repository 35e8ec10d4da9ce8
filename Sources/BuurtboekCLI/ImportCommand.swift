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
        let ledger = try self.ledger.open()
        let started = Clock.nowMicros()
        let sealer = try masterKey.unlock(ledger)
        let preparers = PreparerPool(catalogue: ledger.catalogue, worker: worker.worker, restoring: restore, sealer: sealer,
                                     keepsRecordedAt: keepRecordedAt)
        let progress = Progress(enabled: Terminal.stderrIsTerminal)
        var summary = ImportSummary()

        if atomic {
            // One transaction for the whole input. A growing map reruns the closure, so standard
            // input is first spooled to a file that can be read again.
            let source = file == "-" ? try Spool.stdinToTemporaryFile() : file
            defer { if file == "-" { unlink(source) } }
            summary = try ledger.transaction(mode: .atomic) { appender in
                var summary = ImportSummary()
                let pipeline = try ImportPipeline(path: source, preparers: preparers, aheadEvents: batchSize)
                defer { pipeline.stop() }
                var unflushed = 0
                while let chunk = try pipeline.next() {
                    if let refusal = chunk.batch.refusals.first {
                        throw LedgerError(refusal.error.kind, refusal.error.message + "; nothing was imported (--atomic)")
                    }
                    // The index entries are written a batch at a time, as without --atomic.
                    unflushed += chunk.batch.events.count
                    for outcome in try appender.append(chunk.batch.events, flush: unflushed >= batchSize) { _ = summary.add(outcome) }
                    if unflushed >= batchSize { unflushed = 0 }
                    pipeline.recycle([chunk])
                    progress.show(summary, started: started)
                }
                // New data keys are durable before anything sealed under them is.
                try sealer?.persist()
                summary.lines = pipeline.lineCount
                return summary
            }
        } else {
            var rejectsFile: RejectsFile?
            defer { rejectsFile?.close() }
            func reject(_ line: LineReader.Line, _ error: LedgerError) throws {
                if rejectsFile == nil { rejectsFile = try RejectsFile(path: rejectsPath) }
                rejectsFile!.write(line: line.number, error: error, input: line.bytes)
                summary.refused += 1
                if summary.shown.count < Self.shownRefusals { summary.shown.append((line.number, error.message)) }
            }
            // Every core prepares chunks of lines while this thread writes them, in input order,
            // into a transaction that commits once it holds a batch: the writer works while the
            // lines are prepared, so what is left after the last chunk is one chunk and a commit.
            let pipeline = try ImportPipeline(path: file, preparers: preparers, aheadEvents: batchSize)
            defer { pipeline.stop() }
            var atEnd = false
            while !atEnd {
                // The chunks of this transaction, kept to be written again if the map has to grow
                // (which runs the transaction again from its start).
                var taken: [ImportPipeline.Chunk] = []
                let outcomes = try ledger.transaction(mode: .skipRefused) { appender -> [[AppendOutcome]] in
                    var outcomes: [[AppendOutcome]] = []
                    var gathered = 0
                    for chunk in taken {
                        outcomes.append(try appender.append(chunk.batch.events, flush: false))
                        gathered += chunk.lines.count
                    }
                    while gathered < batchSize {
                        guard let chunk = try pipeline.next() else { atEnd = true; break }
                        taken.append(chunk)
                        outcomes.append(try appender.append(chunk.batch.events, flush: false))
                        gathered += chunk.lines.count
                    }
                    // New data keys are durable before anything sealed under them is.
                    try sealer?.persist()
                    return outcomes
                }
                // Committed: count, and write the refused lines of each chunk in line order
                // (refused while preparing, or by the ledger).
                for (chunk, chunkOutcomes) in zip(taken, outcomes) {
                    var refused = chunk.batch.refusals
                    for (index, outcome) in zip(chunk.batch.eventIndexes, chunkOutcomes) {
                        if let error = summary.add(outcome) { refused.append((index, error)) }
                    }
                    for refusal in refused.sorted(by: { $0.index < $1.index }) { try reject(chunk.lines[refusal.index], refusal.error) }
                }
                pipeline.recycle(taken)
                progress.show(summary, started: started)
            }
            summary.lines = pipeline.lineCount
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

struct ImportSummary {
    var tally = AppendTally()
    var refused = 0, lines = 0
    /// The first refusals, by line number, to show on the terminal.
    var shown: [(line: Int, message: String)] = []

    var appended: Int { get { tally.appended } set { tally.appended = newValue } }
    var already: Int { get { tally.already } set { tally.already = newValue } }
    var firstPosition: UInt64? { get { tally.firstPosition } set { tally.firstPosition = newValue } }
    var lastPosition: UInt64 { get { tally.lastPosition } set { tally.lastPosition = newValue } }

    /// Counts an outcome; returns the refusal, if it was one.
    mutating func add(_ outcome: AppendOutcome) -> LedgerError? { tally.add(outcome) }
}

/// One event preparer per preparing thread (each owns a parser): parsing and validation are the
/// costly part of an import, and need no ledger state. See `ImportPipeline` for the threads.
final class PreparerPool: @unchecked Sendable {
    struct Batch {
        var events: [PreparedEvent] = []
        /// For each prepared event, the index of its line in the batch.
        var eventIndexes: [Int] = []
        var refusals: [(index: Int, error: LedgerError)] = []
    }

    private let preparers: [EventPreparer]

    init(catalogue: Catalogue, worker: String?, restoring: Bool, sealer: PersonalDataSealer?, keepsRecordedAt: Bool = false) {
        // One per core: for the preparing threads, and the last for the writer's (see ImportPipeline).
        let cores = max(1, min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 8))
        preparers = (0..<cores).map { _ in
            EventPreparer(catalogue: catalogue, defaultWorker: worker, restoring: restoring, sealer: sealer, derivesIds: true,
                          keepsRecordedAt: keepsRecordedAt)
        }
    }

    var count: Int { preparers.count }

    /// Prepares `lines` with preparer number `worker` alone: for a thread of its own.
    func prepare(_ lines: [LineReader.Line], with worker: Int) -> Batch {
        let now = Clock.nowMicros()
        var batch = Batch()
        batch.events.reserveCapacity(lines.count)
        for (i, line) in lines.enumerated() { batch.add(prepare(line, with: worker, now: now), index: i) }
        return batch
    }

    private func prepare(_ line: LineReader.Line, with worker: Int, now: Int64) -> Result<PreparedEvent, LedgerError> {
        let preparer = preparers[worker]
        preparer.now = now
        do {
            return .success(try line.bytes.withUnsafeBytes { try preparer.prepare(line: $0, source: .line(line.number)) })
        } catch let error as LedgerError {
            return .failure(error)
        } catch {
            return .failure(LedgerError(.refused, "line \(line.number): \(error)"))
        }
    }
}

extension PreparerPool.Batch {
    mutating func add(_ result: Result<PreparedEvent, LedgerError>, index: Int) {
        switch result {
        case .success(let event): events.append(event); eventIndexes.append(index)
        case .failure(let error): refusals.append((index, error))
        }
    }
}

/// Refused lines, as JSON Lines: {"line": N, "error": "...", "input": "<the line>"}.
struct RejectsFile {
    private var out: OutputBuffer
    private let fd: Int32

    init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else {
            throw CLIError("cannot write the rejects file \(path): \(String(cString: strerror(errno)))", code: ExitStatus.storage)
        }
        out = OutputBuffer(fd: fd)
    }

    mutating func write(line: Int, error: LedgerError, input: ArraySlice<UInt8>) {
        var object = JSONObject()
        object["line"] = .int(Int64(line))
        object["error"] = .string(error.message)
        object["input"] = .string(String(decoding: input, as: UTF8.self))
        out.line(JSONWriter.ordered(.object(object)))
    }

    mutating func close() {
        out.flush()
        Glibc.close(fd)
    }
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

enum Spool {
    /// Copies standard input to a private temporary file and returns its path.
    static func stdinToTemporaryFile() throws -> String {
        var template = Array("/tmp/buurtboek-import-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw CLIError("cannot create a temporary file to spool standard input", code: ExitStatus.storage) }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = read(0, &buffer, buffer.count)
            if n <= 0 { break }
            guard write(fd, buffer, n) == n else {
                close(fd)
                unlink(path)
                throw CLIError("cannot spool standard input to \(path): \(String(cString: strerror(errno)))", code: ExitStatus.storage)
            }
        }
        close(fd)
        return path
    }
}
