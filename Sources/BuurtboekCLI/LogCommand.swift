import ArgumentParser
import Catalogue
import JSON
import Ledger
#if canImport(Glibc)
import Glibc
import TextFormats
#endif

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
          buurtboek log --type signal.escalated --neighbourhood BU0363AA01 --since 2024-01-01 --until 2024-03-31
          buurtboek log --type referral.made --format jsonl > referrals.jsonl
          buurtboek log --follow --from 1200 --type signal.raised
          buurtboek log --follow --ledger https://buurtboek.local:8443 --neighbourhood BU0363AA01
        """))

    @Option(help: ArgumentHelp("Start at this position.", valueName: "pos")) var from: UInt64 = 1
    @Option(help: ArgumentHelp("At most this many events.", valueName: "n")) var limit: Int?
    @Option(help: ArgumentHelp("Only this event type.", valueName: "type"), completion: .custom(TypeNames.complete)) var type: String?
    @Option(help: ArgumentHelp("Only this stream.", valueName: "id")) var stream: String?
    @Option(help: ArgumentHelp("Only this neighbourhood code.", valueName: "code")) var neighbourhood: String?
    @Option(help: ArgumentHelp("Only events that occurred on or after this day.", valueName: "date")) var since: String?
    @Option(help: ArgumentHelp("Only events that occurred on or before this day.", valueName: "date")) var until: String?
    @Flag(help: "Newest first.") var reverse = false
    @Flag(help: "Leave out voided events (amended ones are listed, marked A; `show` gives their current values).") var current = false
    @Flag(help: "After the events so far, print new ones as they are appended, until interrupted (Ctrl-C).") var follow = false
    @Option(help: ArgumentHelp("table or jsonl.", valueName: "format")) var format: Format = .table
    @OptionGroup var display: DisplayOptions
    @OptionGroup var ledger: LedgerOptions

    enum Format: String, Choice { case table, jsonl }

    func validate() throws {
        if follow && reverse { throw ValidationError("--follow reads forwards; leave out --reverse") }
        if follow && limit != nil { throw ValidationError("--follow goes on until interrupted; leave out --limit") }
    }

    /// The columns of the table form.
    static func table(width: Int?) -> StreamingTable {
        StreamingTable(TextTable([.init("POS", right: true), .init("C"), .init("OCCURRED"), .init("TYPE", wraps: true), .init("STREAM", wraps: true),
                                  .init("V", right: true), .init("NEIGHBOURHOOD", wraps: true), .init("BY", wraps: true)]),
                       width: width)
    }

    func run() throws {
        let sinceDay = try since.map { Calendar.day(ofMicros: try DateArgument.micros($0, option: "--since")) }
        let untilDay = try until.map { Calendar.day(ofMicros: try DateArgument.micros($0, option: "--until")) }
        var query = EventQuery()
        query.current = current
        query.from = from
        query.limit = limit ?? .max
        (query.type, query.stream, query.neighbourhood) = (type, stream, neighbourhood)
        (query.sinceDay, query.untilDay, query.reverse) = (sinceDay, untilDay, reverse)
        if let remote = try ledger.remote() { return try RemoteLog(command: self, remote: remote, query: query).run() }
        let ledger = try self.ledger.open()
        if let type, ledger.catalogue.versions(of: type) == nil {
            throw CLIError("--type \(type): unknown event type\(NameSuggestion.hint(type, in: ledger.catalogue.typeNames)) (see `buurtboek types`)", code: ExitStatus.refused)
        }
        var out = OutputBuffer()
        var table = Self.table(width: display.width)
        var names = AreaNames(ledger.catalogue)
        var legend = CorrectionLegend()
        func show(_ snapshot: LedgerSnapshot, _ position: UInt64, _ record: RecordView, _ mark: CorrectionMark?) throws -> Bool {
            if format == .jsonl {
                let leaf = try snapshot.leafHash(at: position)
                out.append { EventJSON.write(position: position, record: record, leafHash: leaf, corrected: mark, into: &$0); $0.append(10) }
            } else {
                table.add([String(position), legend.letter(mark?.name), display.time(record.occurredAt), record.type, record.stream,
                           String(record.streamVersion), names.label(record.neighbourhood, micros: record.occurredAt), record.recordedBy], to: &out)
            }
            return true
        }
        let last = try ledger.read { snapshot in try query.visitMarked(snapshot) { try show(snapshot, $0, $1, $2) } }
        if format == .table { table.finish(to: &out) }
        guard follow else {
            legend.printLegend(to: &out)
            out.flush()
            return
        }
        // Following: the table's layout is fixed now, and each new event is printed as the
        // ledger's log grows (another process appends: LMDB shows it to the next read).
        out.flush()
        query.from = (last ?? (from - 1)) + 1
        while true {
            let seen = try ledger.read { snapshot in try query.visitMarked(snapshot) { try show(snapshot, $0, $1, $2) } }
            if let seen { query.from = seen + 1 }
            out.flush()
            usleep(100_000)
        }
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
