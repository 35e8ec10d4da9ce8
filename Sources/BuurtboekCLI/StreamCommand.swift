import ArgumentParser
import JSON
import Ledger

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
        let ledger = try self.ledger.open()
        try ledger.read { snapshot in
            let entries = try snapshot.streamPositions(stream)
            guard !entries.isEmpty else { throw CLIError("no stream \(stream) in the ledger", code: ExitStatus.refused) }
            if output.json {
                var events: [JSONValue] = []
                for (version, position) in entries {
                    let r = try snapshot.record(at: position)!
                    events.append(.object(JSONObject([("streamVersion", .int(Int64(version))), ("position", .int(Int64(position))),
                                                      ("type", .string(r.type)), ("occurredAt", .string(RFC3339.format(r.occurredAt))),
                                                      ("recordedAt", .string(RFC3339.format(r.recordedAt))), ("recordedBy", .string(r.recordedBy))])))
                }
                let states = try snapshot.lifecycleStates(stream).map { lifecycle, instance, state -> JSONValue in
                    let l = ledger.catalogue.lifecycles[lifecycle]
                    let next = l.map { $0.terminal.contains(state) ? [] : $0.allowedEvents(from: state) } ?? []
                    return .object(JSONObject([("lifecycle", .string(lifecycle)), ("instance", instance.isEmpty ? .null : .string(instance)),
                                               ("state", .string(state)), ("terminal", .bool(l?.terminal.contains(state) ?? false)),
                                               ("allowedNext", .array(next.map { .string($0) }))]))
                }
                print(JSONWriter.ordered(.object(JSONObject([("stream", .string(stream)), ("events", .array(events)), ("states", .array(states))]))))
                return
            }
            print("stream \(stream): \(entries.count) events")
            var table = TextTable([.init("V", right: true), .init("POS", right: true), .init("OCCURRED"), .init("RECORDED"),
                                   .init("TYPE", wraps: true), .init("BY", wraps: true)])
            for (version, position) in entries {
                let r = try snapshot.record(at: position)!
                table.add([String(version), String(position), display.time(r.occurredAt), display.time(r.recordedAt), r.type, r.recordedBy])
            }
            print(table.render(width: display.width), terminator: "")
            let states = try snapshot.lifecycleStates(stream)
            if states.isEmpty { return }
            print("state")
            for (lifecycle, instance, state) in states {
                let allowed = ledger.catalogue.lifecycles[lifecycle].map { l in
                    l.terminal.contains(state) ? "terminal" : "next: " + l.allowedEvents(from: state).joined(separator: ", ")
                } ?? ""
                // The allowed events wrap under their column (2 + 37 + 15 columns in).
                let lines = display.width.map { TextTable.wrap(allowed, to: max(20, $0 - 54)) } ?? [allowed]
                print("  " + Table.row([lifecycle + (instance.isEmpty ? "" : " (\(instance))"), state, lines[0]], widths: [36, 14]))
                for more in lines.dropFirst() { print(String(repeating: " ", count: 54) + more) }
            }
        }
    }
}
