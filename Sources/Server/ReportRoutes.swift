import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Ledger
import Membership
import Privacy
import Projections
import Reports
import TextFormats
import Threads

/// The analyst's routes: reports built on the server from its read models, aggregated and with
/// small cells suppressed. The threshold can be raised, never set below the server's.
struct ReportRoutes {
    let server: TeamServer
    /// The read models' store is one LMDB environment, which a process may open once: report
    /// requests take turns.
    private static let building = Lock()
    static let minimumThreshold = 5

    func add(to router: Router<BasicRequestContext>) {
        router.get("/v1/reports/{name}") { request, context in
            try await server.guarded(request, .readReports) { member in
                try report(context.parameters.get("name") ?? "", request, by: member)
            }
        }
        router.get("/v1/projections") { request, _ in try await server.guarded(request, .readReports) { _ in try statuses(request) } }
    }

    /// Where each read model stands (`project --status`): ?names=a,b (default: all).
    private func statuses(_ request: Request) throws -> Response {
        var types: [any Projector.Type] = []
        for name in (Query.string(request, "names") ?? "").split(separator: ",") {
            guard let type = Projectors.named(String(name)) else {
                throw Refusal(.unprocessableContent, "?names: no read model \(name) (there are \(Projectors.all.map { $0.name }.joined(separator: ", ")))")
            }
            types.append(type)
        }
        if types.isEmpty { types = Projectors.all }
        Self.building.lock()
        defer { Self.building.unlock() }
        let store = try ReadModelStore(path: ReadModelStore.livePath(ledger: server.ledger.path))
        return Reply.json(.array(try Projection.statuses(types, ledger: server.ledger, store: store)))
    }

    private func report(_ name: String, _ request: Request, by member: Member) throws -> Response {
        let format = try Query.string(request, "format").map { text in
            guard let f = ReportFormat(rawValue: text) else {
                throw Refusal(.badRequest, "?format=\(text): expected one of \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return f
        } ?? .json
        let threshold = try Query.int(request, "suppressBelow") ?? Self.minimumThreshold
        guard threshold >= Self.minimumThreshold else {
            throw Refusal(.unprocessableContent, "?suppressBelow=\(threshold): this server suppresses counts below \(Self.minimumThreshold); it cannot be set lower")
        }
        let kinds: [ReportKind]
        if name == "all" {
            guard format == .html || format == .json else { throw Refusal(.badRequest, "report all: use format html or json") }
            kinds = ReportKind.allCases
        } else {
            guard let kind = ReportKind(rawValue: name) else {
                throw Refusal(.notFound, "no report named \(name) (there are: \((ReportKind.allCases.map(\.rawValue) + ["all"]).joined(separator: ", ")))")
            }
            kinds = [kind]
        }
        if (format == .graphml || format == .dot) && kinds != [.network] { throw Refusal(.badRequest, "format \(format.rawValue) is for the network report only") }
        let fromText = Query.string(request, "from"), toText = Query.string(request, "to")
        let from = try fromText.map { try Self.instant($0, "from") }
        let to = try toText.map { text in try Self.instant(text, "to") + (text.utf8.count == 10 ? Calendar.microsPerDay : 1) }
        let neighbourhoods = request.uri.queryParameters.getAll("neighbourhood").map { String($0) }
        var run = ReportRun(kinds: kinds, from: from, to: to, scope: ReportRun.scope(from: fromText, to: toText, neighbourhoods: neighbourhoods))
        run.neighbourhoods = Set(neighbourhoods)
        run.section = Query.string(request, "section")
        run.target = try knowledge(request)?.target(Projection(ledger: server.ledger, sealer: nil), option: "?at")
        // The wellbeing fold opens sealed scores: each resident opened is recorded, as the
        // projection, with the analyst's request as the reason.
        let recorder = OpeningRecorder(server.sealer)
        let built: ReportRun.Built
        Self.building.lock()
        defer { Self.building.unlock() }
        do { built = try run.build(ledger: server.ledger, sealer: recorder) } catch let error as ReportError {
            throw Refusal(.badRequest, error.message)
        }
        let readers = built.types.filter { $0.readsPersonalData }.map { "projection:" + $0.name }
        if !readers.isEmpty {
            _ = try recorder.record(by: readers.joined(separator: ","), command: "GET \(request.uri.path) (by \(member.name))")
        }
        let width = try Query.int(request, "width")
        let (text, _) = built.render(format, suppression: Suppression(threshold: threshold), width: width,
                                     generated: "Generated by buurtboek serve at \(RFC3339.format(Clock.nowMicros()))")
        var headers = HTTPFields()
        headers[.buurtboekReports] = built.reports.map(\.title).joined(separator: ",")
        let type = switch format {
        case .json: "application/json"
        case .csv: "text/csv"
        case .html: "text/html; charset=utf-8"
        case .graphml: "application/xml"
        case .table, .dot: "text/plain; charset=utf-8"
        }
        return Reply.bytes(Array(text.utf8), type: type, headers: headers)
    }

    /// ?at=POSITION or ?asOf=DAY|INSTANT: what the ledger knew, as `report --at/--as-of`.
    private func knowledge(_ request: Request) throws -> Knowledge? {
        let at = try Query.int(request, "at"), asOf = Query.string(request, "asOf")
        if at != nil && asOf != nil { throw Refusal(.badRequest, "?at and ?asOf both say what the ledger knew: give one") }
        if let at { return .position(UInt64(max(at, 0))) }
        guard let asOf else { return nil }
        return .asOf(asOf, end: Knowledge.end(ofDayOrInstant: asOf, at: try Self.instant(asOf, "asOf")))
    }

    private static func instant(_ text: String, _ name: String) throws -> Int64 {
        guard let micros = RFC3339.parse(text) else { throw Refusal(.badRequest, "?\(name)=\(text): expected a day (2025-01-01) or an RFC 3339 date-time") }
        return micros
    }
}

extension HTTPField.Name {
    static let buurtboekReports = HTTPField.Name("Buurtboek-Reports")!
}
