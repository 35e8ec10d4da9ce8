import ArgumentParser
import Catalogue
import JSON
import Ledger

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "List events, oldest first.",
        discussion: Help.page("""
        Filters combine. --since and --until select by when events happened (occurredAt, whole
        days, inclusive); --from by position. The jsonl format has the keys of `export`.

        EXAMPLES
          buurtboek log --limit 20 --reverse
          buurtboek log --stream referral-2024-0042
          buurtboek log --type signal.escalated --neighbourhood BU03630001 --since 2024-01-01 --until 2024-03-31
          buurtboek log --type referral.made --format jsonl > referrals.jsonl
        """))

    @Option(help: ArgumentHelp("Start at this position.", valueName: "pos")) var from: UInt64 = 1
    @Option(help: ArgumentHelp("At most this many events.", valueName: "n")) var limit: Int?
    @Option(help: ArgumentHelp("Only this event type.", valueName: "type"), completion: .custom(TypeNames.complete)) var type: String?
    @Option(help: ArgumentHelp("Only this stream.", valueName: "id")) var stream: String?
    @Option(help: ArgumentHelp("Only this neighbourhood code.", valueName: "code")) var neighbourhood: String?
    @Option(help: ArgumentHelp("Only events that occurred on or after this day.", valueName: "date")) var since: String?
    @Option(help: ArgumentHelp("Only events that occurred on or before this day.", valueName: "date")) var until: String?
    @Flag(help: "Newest first.") var reverse = false
    @Option(help: ArgumentHelp("table or jsonl.", valueName: "format")) var format: Format = .table
    @OptionGroup var display: DisplayOptions
    @OptionGroup var ledger: LedgerOptions

    enum Format: String, Choice { case table, jsonl }

    func run() throws {
        let sinceDay = try since.map { Calendar.day(ofMicros: try DateArgument.micros($0, option: "--since")) }
        let untilDay = try until.map { Calendar.day(ofMicros: try DateArgument.micros($0, option: "--until")) }
        let ledger = try self.ledger.open()
        if let type, ledger.catalogue.versions(of: type) == nil {
            throw CLIError("--type \(type): unknown event type\(NameSuggestion.hint(type, in: ledger.catalogue.typeNames)) (see `buurtboek types`)", code: ExitStatus.refused)
        }
        var out = OutputBuffer()
        var table = StreamingTable(TextTable([.init("POS", right: true), .init("OCCURRED"), .init("TYPE", wraps: true), .init("STREAM", wraps: true),
                                              .init("V", right: true), .init("NEIGHBOURHOOD", wraps: true), .init("BY", wraps: true)]),
                                   width: display.width)
        try ledger.read { snapshot in
            var remaining = limit ?? .max
            func emit(_ position: UInt64, _ record: RecordView) throws -> Bool {
                guard remaining > 0 else { return false }
                if let type, record.type != type { return true }
                if let stream, record.stream != stream { return true }
                if let neighbourhood, record.neighbourhood != neighbourhood { return true }
                let day = Calendar.day(ofMicros: record.occurredAt)
                if let sinceDay, day < sinceDay { return true }
                if let untilDay, day > untilDay { return true }
                remaining -= 1
                if format == .jsonl {
                    let leaf = try snapshot.leafHash(at: position)
                    out.append { EventJSON.write(position: position, record: record, leafHash: leaf, into: &$0); $0.append(10) }
                } else {
                    table.add([String(position), display.time(record.occurredAt), record.type, record.stream,
                               String(record.streamVersion), record.neighbourhood, record.recordedBy], to: &out)
                }
                return true
            }
            // Read from the narrowest index that applies; the other filters check each record.
            var positions: [UInt64]?
            if let stream { positions = try snapshot.streamPositions(stream).map(\.position) }
            else if let type { positions = try snapshot.positions(ofType: type) }
            else if sinceDay != nil || untilDay != nil {
                positions = try snapshot.positions(occurredFromDay: sinceDay ?? Int(Int32.min), toDay: untilDay ?? Int(Int32.max)).sorted()
            }
            if var positions {
                positions = positions.filter { $0 >= from }
                if reverse { positions.reverse() }
                for position in positions {
                    guard let record = try snapshot.record(at: position), try emit(position, record) else { break }
                }
            } else {
                try snapshot.scan(from: from, reverse: reverse, emit)
            }
        }
        if format == .table { table.finish(to: &out) }
        out.flush()
    }
}

/// A table of many rows (the log): the first rows set the layout, which the rest keep, so
/// that rows print as they are read instead of after the whole log.
struct StreamingTable {
    private var table: TextTable
    private let width: Int?
    private var widths: [Int]?
    static let sample = 500

    init(_ table: TextTable, width: Int?) {
        self.table = table
        self.width = width
    }

    mutating func add(_ cells: [String], to out: inout OutputBuffer) {
        if let widths {
            out.write(table.line(cells, widths))
            return
        }
        table.add(cells)
        if table.rows.count == Self.sample { finish(to: &out) }
    }

    /// Prints the rows held back for the layout (with the header).
    mutating func finish(to out: inout OutputBuffer) {
        guard widths == nil else { return }
        widths = table.widths(fitting: width)
        out.write(table.render(width: width))
        table.rows.removeAll()
    }
}

enum Table {
    /// Left-aligned columns; the last column is not padded.
    static func row(_ cells: [String], widths: [Int]) -> String {
        var line = ""
        for (i, cell) in cells.enumerated() {
            if i == cells.count - 1 { line += cell; break }
            let width = i < widths.count ? widths[i] : 12
            line += cell.count >= width ? cell + " " : cell + String(repeating: " ", count: width - cell.count + 1)
        }
        return line
    }
}

extension Substring {
    func replacingT() -> String { String(self).replacing("T", with: " ") }
}
