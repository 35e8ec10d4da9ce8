import Catalogue
import JSON
import Ledger
import Projections
import TextFormats

/// One request for reports, from the CLI or the team server alike: which reports, over which
/// period and neighbourhoods, as known when. `build` folds (or catches up) the read models they
/// need and builds the reports; `render` writes them in a format.
public struct ReportRun {
    public var kinds: [ReportKind]
    /// occurredAt bounds in microseconds: from inclusive, to exclusive.
    public var from: Int64?, to: Int64?
    public var neighbourhoods: Set<String> = []
    /// What the period covers, in words (printed with the figures).
    public var scope: String
    public var section: String?
    /// What the ledger knew: a position (and the moment it stands for); nil for now.
    public var target: (position: UInt64, moment: Int64?, label: String)?

    public init(kinds: [ReportKind], from: Int64?, to: Int64?, scope: String) {
        self.kinds = kinds
        self.from = from
        self.to = to
        self.scope = scope
    }

    /// The period and neighbourhoods in words, as given (days or date-times).
    public static func scope(from: String?, to: String?, neighbourhoods: [String]) -> String {
        let period = switch (from, to) {
        case (nil, nil): "all time"
        case (let f?, nil): "from \(f)"
        case (nil, let t?): "up to \(t)"
        case (let f?, let t?): "\(f) to \(t)"
        }
        return "occurred \(period) · " + (neighbourhoods.isEmpty ? "all neighbourhoods" : neighbourhoods.joined(separator: ", "))
    }

    public struct Built {
        public let reports: [Report]
        public let models: [any Projector]
        public let types: [any Projector.Type]
        public let query: ReportQuery
    }

    /// With a target, folds the log up to it in memory; otherwise brings the live read models
    /// (in the ledger's readmodels/ store) up to date and reads them.
    public func build(ledger: Ledger, sealer: PersonalDataSealer?) throws -> Built {
        let projection = Projection(ledger: ledger, sealer: sealer)
        var types: [any Projector.Type] = []
        for kind in kinds { for t in kind.projectors where !types.contains(where: { $0 == t }) { types.append(t) } }
        let models: [any Projector]
        let reference: Int64
        var scope = self.scope
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
            scope += " · as known now (position \(NumberText.grouped(String(head.0))))"
        }
        var query = ReportQuery(from: from, to: to, neighbourhoods: neighbourhoods, reference: reference, scope: scope)
        if let register = ledger.catalogue.areas {
            query.areas = AreaMapping(register: register, day: Calendar.day(ofMicros: max(query.end, 1) - 1))
        }
        var reports = kinds.map { $0.build(models, query) }
        if let areas = query.areas { for i in reports.indices { AreaLabels.apply(&reports[i], areas) } }
        if let section {
            reports = try reports.map { report in
                var r = report
                r.sections = r.sections.filter { $0.id == section }
                guard !r.sections.isEmpty else {
                    throw ReportError("the \(report.name) report has no section \(section)\(NameSuggestion.hint(section, in: report.sections.map(\.id))) (it has: \(report.sections.map(\.id).joined(separator: ", ")))")
                }
                return r
            }
        }
        return Built(reports: reports, models: models, types: types, query: query)
    }
}

public enum ReportFormat: String, CaseIterable, Sendable {
    case table, csv, json, html, graphml, dot
}

extension ReportRun.Built {
    /// The reports as text in `format`, and notes for the reader (on stderr in the CLI).
    public func render(_ format: ReportFormat, suppression: Suppression, width: Int?, generated: String) -> (text: String, notes: [String]) {
        switch format {
        case .table:
            return (reports.map { TableRenderer.render($0, suppression: suppression, width: width) }.joined(separator: "\n"), [])
        case .csv:
            let (csv, omitted) = CSVRenderer.render(reports[0], suppression: suppression)
            let notes = omitted.isEmpty ? [] : ["note: CSV holds the sections that share the first one's columns; for the others use --section \(omitted.joined(separator: " or --section "))"]
            return (csv, notes)
        case .json:
            let documents = reports.map { JSONRenderer.render($0, suppression: suppression) }
            return (documents.count == 1 ? documents[0] : "[" + documents.map { String($0.dropLast()) }.joined(separator: ",") + "]\n", [])
        case .html:
            return (HTMLRenderer.render(reports, suppression: suppression, generated: generated), [])
        case .graphml, .dot:
            let network = models.compactMap { $0 as? NetworkModel }.first!
            return (NetworkReport.graph(network, query, format: format == .dot ? .dot : .graphml), [])
        }
    }
}

/// A report request that cannot be answered as asked (an unknown section, say).
public struct ReportError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
