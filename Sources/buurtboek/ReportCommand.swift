import ArgumentParser
import Catalogue
import JSON
import Ledger
import Projections
import Reports

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
        let ledger = try self.ledger.open()
        let sealer = try masterKey.unlockForFold(ledger)
        var wanted = kinds
        if name == "all" && sealer == nil {
            wanted = kinds.filter { $0 != .wellbeing }
            Terminal.writeError("note: the wellbeing report needs the master key; left out")
        } else if kinds == [.wellbeing] && sealer == nil {
            throw CLIError("the wellbeing report \(Projection.needsKey)", code: ExitStatus.refused)
        }
        let projection = Projection(ledger: ledger, sealer: sealer)
        let (from, to) = try period.bounds()
        let target = try knowledge.position(projection)
        var types: [any Projector.Type] = []
        for kind in wanted { for t in kind.projectors where !types.contains(where: { $0 == t }) { types.append(t) } }
        let models: [any Projector]
        let reference: Int64
        var scope = period.label
        if let target {
            models = try projection.fold(types, upTo: target.position)
            reference = try target.moment ?? ledger.read { try $0.record(at: target.position)?.recordedAt ?? 0 }
            scope += " · " + target.label
        } else {
            models = try projection.current(types, store: ReadModelStore(path: ReadModelStore.livePath(ledger: ledger.path)))
            let head = try ledger.read { s -> (UInt64, Int64) in
                let size = try s.size()
                return (size, try s.record(at: size)?.recordedAt ?? 0)
            }
            reference = head.1
            scope += " · as known now (position \(Terminal.count(head.0)))"
        }
        try sealer?.recordOpenings(types, worker: Environment.value("BUURTBOEK_WORKER"))
        let query = ReportQuery(from: from, to: to, neighbourhoods: Set(period.neighbourhoods), reference: reference, scope: scope)
        let suppression = Suppression(threshold: threshold)
        var reports = wanted.map { $0.build(models, query) }
        if let section {
            reports = try reports.map { report in
                var r = report
                r.sections = r.sections.filter { $0.id == section }
                guard !r.sections.isEmpty else {
                    throw CLIError("the \(report.name) report has no section \(section)\(NameSuggestion.hint(section, in: report.sections.map(\.id))) (it has: \(report.sections.map(\.id).joined(separator: ", ")))")
                }
                return r
            }
        }
        let text: String
        switch format {
        case .table:
            let width = out == nil ? Terminal.tableWidth(wide: wide) : nil
            text = reports.map { TableRenderer.render($0, suppression: suppression, width: width) }.joined(separator: "\n")
        case .csv:
            let (csv, omitted) = CSVRenderer.render(reports[0], suppression: suppression)
            if !omitted.isEmpty { Terminal.writeError("note: CSV holds the sections that share the first one's columns; for the others use --section \(omitted.joined(separator: " or --section "))") }
            text = csv
        case .json:
            let documents = reports.map { JSONRenderer.render($0, suppression: suppression) }
            text = documents.count == 1 ? documents[0] : "[" + documents.map { String($0.dropLast()) }.joined(separator: ",") + "]\n"
        case .html:
            text = HTMLRenderer.render(reports, suppression: suppression, generated: "Generated by buurtboek \(Buurtboek.configuration.version) at \(RFC3339.format(Clock.nowMicros()))")
        case .graphml, .dot:
            let network = models.compactMap { $0 as? NetworkModel }.first!
            text = NetworkReport.graph(network, query, format: format == .dot ? .dot : .graphml)
        }
        if let out {
            try OutputFile.writeAtomically(out, Array(text.utf8))
            print("wrote \(reports.map(\.title).joined(separator: ", ")) (\(format.rawValue)) to \(out)")
        } else {
            var buffer = OutputBuffer()
            buffer.write(text)
            buffer.flush()
        }
    }
}
