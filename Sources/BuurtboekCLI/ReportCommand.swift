import ArgumentParser
import Catalogue
import JSON
import Ledger
import Privacy
import Projections
import Remote
import Reports
import TextFormats

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Indicator reports for analysts: table, CSV, JSON or a self-contained HTML page.",
        discussion: Help.page("""
        `buurtboek report` alone lists the reports. A report brings its read models up to date
        first; with --as-of or --at it folds the log up to that point instead (in memory; the
        read models are not touched).

        TIME, IN TWO DIMENSIONS
        --from/--to choose when things happened (occurredAt). --as-of DATE answers with what
        the ledger knew at the end of that day (recordedAt), --at POS with what it knew at that
        position. Late entries make the two differ: "activity in the first quarter, as known on
        15 April" is --from 2025-01-01 --to 2025-03-31 --as-of 2025-04-15.

        PRIVACY
        Counts from 1 to below the threshold (--suppress-below, default 5) are shown as <5, and
        rates and statistics resting on them are withheld (– in tables, empty in CSV, null in
        JSON). No report shows a field the catalogue marks I or S, or a resident's id: the
        network graph numbers residents instead.

        EXAMPLES
          buurtboek report
          buurtboek report neighbourhoods --from 2025-01-01 --to 2025-03-31
          buurtboek report referrals --format csv --out referrals.csv
          buurtboek report signals --section open
          buurtboek report neighbourhoods --format html --out overview.html
          buurtboek report all --format html --out year.html
          buurtboek report network --format graphml --out network.graphml
          buurtboek report referrals --from 2025-01-01 --to 2025-03-31 --as-of 2025-04-15
        """))

    enum Format: String, Choice {
        case table, csv, json, html, graphml, dot
    }

    @Argument(help: ArgumentHelp("The report: \(ReportKind.allCases.map(\.rawValue).joined(separator: ", ")), or all (html and json only).", valueName: "name"))
    var name: String?
    @OptionGroup var period: PeriodOptions
    @OptionGroup var knowledge: KnowledgeOptions
    @Option(help: ArgumentHelp("The output format (graphml and dot: the network report only).", valueName: "format"))
    var format: Format = .table
    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var out: String?
    @Option(help: ArgumentHelp("Only this section (see the ids in --format json).", valueName: "id")) var section: String?
    @Flag(help: "Keep each table whole, however wide the terminal (a wide table is otherwise one block per row).")
    var wide = false
    @Option(name: .customLong("suppress-below"), help: ArgumentHelp("Suppress counts below this (1 shows everything).", valueName: "n"))
    var threshold: Int = 5
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var masterKey: MasterKeyOption

    func validate() throws {
        guard threshold >= 1 else { throw ValidationError("--suppress-below must be 1 or more") }
    }

    func run() throws {
        guard let name else {
            print("Reports (buurtboek report NAME):")
            for kind in ReportKind.allCases { print("  \(kind.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)) \(kind.summary)") }
            print("  \("all".padding(toLength: 15, withPad: " ", startingAt: 0)) every report in one HTML page or JSON document")
            return
        }
        let kinds: [ReportKind]
        if name == "all" {
            guard format == .html || format == .json else { throw CLIError("report all: use --format html or json (one table per report otherwise)") }
            kinds = ReportKind.allCases
        } else {
            guard let kind = ReportKind(rawValue: name) else {
                let names = ReportKind.allCases.map(\.rawValue) + ["all"]
                throw CLIError("no report named \(name)\(NameSuggestion.hint(name, in: names)) (there are: \(names.joined(separator: ", ")))")
            }
            kinds = [kind]
        }
        if (format == .graphml || format == .dot) && kinds != [.network] { throw CLIError("--format \(format.rawValue) is for the network report only") }
        if let remote = try ledger.remote() { return try runRemote(remote, name: name) }
        let (ledger, unlocked) = try self.ledger.open(unlocking: masterKey)
        let sealer = unlocked.map(OpeningRecorder.init)
        var wanted = kinds
        if name == "all" && sealer == nil {
            wanted = kinds.filter { $0 != .wellbeing }
            Terminal.writeError("note: the wellbeing report needs the master key; left out")
        } else if kinds == [.wellbeing] && sealer == nil {
            throw CLIError("the wellbeing report \(Projection.needsKey)", code: ExitStatus.refused)
        }
        let (from, to) = try period.bounds()
        var run = ReportRun(kinds: wanted, from: from, to: to, scope: period.label)
        run.neighbourhoods = Set(period.neighbourhoods)
        run.section = section
        run.target = try knowledge.position(Projection(ledger: ledger, sealer: sealer))
        let built: ReportRun.Built
        do { built = try run.build(ledger: ledger, sealer: sealer) } catch let error as ReportError { throw CLIError(error.message) }
        try sealer?.recordOpenings(built.types, worker: Environment.value("BUURTBOEK_WORKER"))
        let (text, notes) = built.render(ReportFormat(rawValue: format.rawValue)!, suppression: Suppression(threshold: threshold),
                                         width: out == nil ? Terminal.tableWidth(wide: wide) : nil,
                                         generated: "Generated by buurtboek \(Buurtboek.configuration.version) at \(RFC3339.format(Clock.nowMicros()))")
        for note in notes { Terminal.writeError(note) }
        try write(text, titles: built.reports.map(\.title))
    }

    /// From a team server (an analyst's token): the server builds and renders the report; the
    /// suppression threshold cannot go below its default there.
    private func runRemote(_ remote: RemoteLedger, name: String) throws {
        var items = ["format=\(format.rawValue)", "suppressBelow=\(threshold)"] + (try knowledge.queryItems())
        if let from = period.from { items.append("from=\(QueryText.escape(from))") }
        if let to = period.to { items.append("to=\(QueryText.escape(to))") }
        for code in period.neighbourhoods { items.append("neighbourhood=\(QueryText.escape(code))") }
        if let section { items.append("section=\(QueryText.escape(section))") }
        if out == nil, let width = Terminal.tableWidth(wide: wide) { items.append("width=\(width)") }
        let response = try remote.send(.GET, "/v1/reports/\(name)?" + items.joined(separator: "&"))
        guard response.status == 200 else { throw RemoteError(response: response) }
        let titles = (response.header("Buurtboek-Reports") ?? name).split(separator: ",").map(String.init)
        try write(String(decoding: response.body, as: UTF8.self), titles: titles)
    }

    private func write(_ text: String, titles: [String]) throws {
        if let out {
            try OutputFile.writeAtomically(out, Array(text.utf8))
            print("wrote \(titles.joined(separator: ", ")) (\(format.rawValue)) to \(out)")
        } else {
            var buffer = OutputBuffer()
            buffer.write(text)
            buffer.flush()
        }
    }
}
