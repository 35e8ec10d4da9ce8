import Foundation
import Catalogue
import JSON
import Ledger
import Remote
import TextFormats

/// `log` from a team server: pages of /v1/events (or, with --follow, its event stream),
/// printed as the local `log` prints them.
struct RemoteLog {
    let command: LogCommand
    let remote: RemoteLedger
    var query: EventQuery

    func run() throws {
        // The catalogue names the neighbourhoods: fetched once the first row is to be printed,
        // so that a refusal of the log is the log's.
        let out = Printer(format: command.format, table: LogCommand.table(width: command.display.width), display: command.display,
                          catalogue: { try RemoteCatalogue.fetch(remote) })
        var remaining = query.limit
        var from = query.from
        while remaining > 0 {
            let response = try remote.send(.GET, "/v1/events?" + parameters(from: from, limit: min(remaining, 10_000)))
            guard response.status == 200 else { throw RemoteError(response: response) }
            let lines = response.body.split(separator: 10)
            for line in lines { try out.show(Array(line)) }
            remaining -= lines.count
            guard !query.reverse, let next = response.header("Buurtboek-Next").flatMap(UInt64.init), next > from, !lines.isEmpty else { break }
            from = next
        }
        out.finishTable()
        guard command.follow else { out.flush(); return }
        out.flush()
        let after = out.lastPosition.map { $0 + 1 } ?? from
        try remote.follow("/v1/events/follow?" + parameters(from: after, limit: nil)) { _, data in
            try out.show(data)
            out.flush()
            return true
        }
    }

    private func parameters(from: UInt64, limit: Int?) -> String {
        var items = ["from=\(from)"]
        if let limit { items.append("limit=\(limit)") }
        if let type = query.type { items.append("type=\(QueryText.escape(type))") }
        if let stream = query.stream { items.append("stream=\(QueryText.escape(stream))") }
        if let code = query.neighbourhood { items.append("neighbourhood=\(QueryText.escape(code))") }
        if let day = query.sinceDay { items.append("since=\(RFC3339.formatDay(day))") }
        if let day = query.untilDay { items.append("until=\(RFC3339.formatDay(day))") }
        if query.reverse { items.append("reverse=true") }
        if query.current { items.append("current=true") }
        return items.joined(separator: "&")
    }


    /// Prints events given as export JSON, as the table or as the lines themselves.
    final class Printer: @unchecked Sendable {
        let format: LogCommand.Format
        var table: StreamingTable
        let display: DisplayOptions
        var out = OutputBuffer()
        var lastPosition: UInt64?
        private var names: AreaNames?
        private let catalogue: () throws -> Catalogue
        var legend = CorrectionLegend()

        init(format: LogCommand.Format, table: StreamingTable, display: DisplayOptions, catalogue: @escaping () throws -> Catalogue) {
            (self.format, self.table, self.display, self.catalogue) = (format, table, display, catalogue)
        }

        func show(_ line: [UInt8]) throws {
            let event = try JSONParser().value(line).object ?? JSONObject()
            lastPosition = event["position"]?.int.map(UInt64.init) ?? lastPosition
            if format == .jsonl {
                out.write(line)
                out.write([10])
                return
            }
            let occurred = event["occurredAt"]?.string.flatMap(RFC3339.parse).map(display.time) ?? ""
            let code = event["neighbourhood"]?.string ?? ""
            if names == nil { names = AreaNames(try catalogue()) }
            let label = names!.label(code, micros: event["occurredAt"]?.string.flatMap(RFC3339.parse))
            table.add([String(event["position"]?.int ?? 0), legend.letter(event["corrected"]?.string), occurred, event["type"]?.string ?? "",
                       event["stream"]?.string ?? "", String(event["streamVersion"]?.int ?? 0), label, event["recordedBy"]?.string ?? ""], to: &out)
        }

        func finishTable() {
            guard format == .table else { return }
            table.finish(to: &out)
            legend.printLegend(to: &out)
        }
        func flush() { out.flush() }
    }
}
