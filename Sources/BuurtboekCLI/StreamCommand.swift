import ArgumentParser
import JSON
import Ledger
import Remote
import TextFormats

struct StreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Show a stream's history and its current lifecycle state.",
        discussion: Help.page("""
        EXAMPLES
          buurtboek stream referral-2024-0042
          buurtboek stream resident-R000123
        """))

    @Argument(help: "The stream id.") var stream: String
    @OptionGroup var output: FactsFormat
    @OptionGroup var display: DisplayOptions
    @OptionGroup var ledger: LedgerOptions

    func run() throws {
        let history: JSONValue
        if let remote = try ledger.remote() {
            history = try remote.getJSON("/v1/streams/" + QueryText.escape(stream))
        } else {
            history = try self.ledger.open().read { try StreamHistory.json(stream, snapshot: $0) }
        }
        if output.json {
            print(JSONWriter.ordered(history))
            return
        }
        let events = history["events"]?.array ?? []
        func time(_ value: JSONValue?) -> String { value?.string.flatMap(RFC3339.parse).map(display.time) ?? "" }
        print("stream \(stream): \(events.count) events")
        var table = TextTable([.init("V", right: true), .init("POS", right: true), .init("C"), .init("OCCURRED"), .init("RECORDED"),
                               .init("TYPE", wraps: true), .init("BY", wraps: true)])
        var marks = CorrectionLegend()
        for e in events {
            table.add([String(e["streamVersion"]?.int ?? 0), String(e["position"]?.int ?? 0), marks.letter(e["corrected"]?.string),
                       time(e["occurredAt"]), time(e["recordedAt"]), e["type"]?.string ?? "", e["recordedBy"]?.string ?? ""])
        }
        print(table.render(width: display.width), terminator: "")
        marks.printLegend()
        let states = history["states"]?.array ?? []
        if states.isEmpty { return }
        print("state")
        for s in states {
            let next = s["allowedNext"]?.array?.compactMap(\.string) ?? []
            let allowed = s["terminal"]?.bool == true ? "terminal" : next.isEmpty ? "" : "next: " + next.joined(separator: ", ")
            let instance = s["instance"]?.string ?? ""
            // The allowed events wrap under their column (2 + 37 + 15 columns in).
            let lines = display.width.map { TextTable.wrap(allowed, to: max(20, $0 - 54)) } ?? [allowed]
            print("  " + Table.row([(s["lifecycle"]?.string ?? "") + (instance.isEmpty ? "" : " (\(instance))"), s["state"]?.string ?? "", lines[0]], widths: [36, 14]))
            for more in lines.dropFirst() { print(String(repeating: " ", count: 54) + more) }
        }
    }
}
