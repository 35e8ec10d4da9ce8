import ArgumentParser
import JSON
import Ledger

struct StreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Show a stream's history and its current lifecycle state.",
        discussion: Help.reflow("""
        EXAMPLES
          buurtboek stream referral-2024-0042
          buurtboek stream resident-R000123
        """))

    @Argument(help: "The stream id.") var stream: String
    @OptionGroup var ledger: LedgerOptions

    func run() throws {
        let ledger = try self.ledger.open()
        try ledger.read { snapshot in
            let entries = try snapshot.streamPositions(stream)
            guard !entries.isEmpty else { throw CLIError("no stream \(stream) in the ledger", code: ExitStatus.refused) }
            print("stream \(stream): \(entries.count) events")
            print(Table.row(["V", "POS", "OCCURRED", "RECORDED", "TYPE", "BY"], widths: [4, 8, 16, 16, 28]))
            for (version, position) in entries {
                let r = try snapshot.record(at: position)!
                print(Table.row([String(version), String(position), RFC3339.format(r.occurredAt).prefix(16).replacingT(),
                                 RFC3339.format(r.recordedAt).prefix(16).replacingT(), r.type, r.recordedBy],
                                widths: [4, 8, 16, 16, 28]))
            }
            let states = try snapshot.lifecycleStates(stream)
            if states.isEmpty { return }
            print("state")
            for (lifecycle, instance, state) in states {
                let allowed = ledger.catalogue.lifecycles[lifecycle].map { l in
                    l.terminal.contains(state) ? "terminal" : "next: " + l.allowedEvents(from: state).joined(separator: ", ")
                } ?? ""
                print("  " + Table.row([lifecycle + (instance.isEmpty ? "" : " (\(instance))"), state, allowed], widths: [36, 14]))
            }
        }
    }
}
