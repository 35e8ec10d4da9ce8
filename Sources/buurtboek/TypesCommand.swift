import ArgumentParser
import Catalogue
import JSON
import Ledger

struct TypesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "types",
        abstract: "List the event catalogue, or describe one type.",
        discussion: Help.reflow("""
        Data classes: N non-personal, P pseudonymous id, I identifying (names, contact details,
        any free text), S special category (health, wellbeing, poverty, debts).

        EXAMPLES
          buurtboek types
          buurtboek types referral.made
        """))

    @Argument(help: "An event type to describe.") var type: String?
    @OptionGroup var ledger: LedgerOptions

    func run() throws {
        let catalogue = try ledger.open().catalogue
        guard let name = type else {
            print(Table.row(["TYPE", "STREAM KIND", "VERSIONS", "DESCRIPTION"], widths: [30, 12, 8]))
            for name in catalogue.typeNames {
                let versions = catalogue.types[name]!
                let latest = versions[versions.keys.max()!]!
                print(Table.row([name, latest.streamKind.name, versions.keys.sorted().map { "v\($0)" }.joined(separator: ","),
                                 latest.description], widths: [30, 12, 8]))
            }
            return
        }
        guard let versions = catalogue.types[name] else {
            throw CLIError("unknown event type \(name) (see `buurtboek types`)", code: ExitStatus.refused)
        }
        for version in versions.keys.sorted() {
            let t = versions[version]!
            print("\(t.name) v\(version): \(t.description)")
            print("  stream kind \(t.streamKind.name), stream ids \(t.streamKind.idPattern)")
            print("  " + Table.row(["FIELD", "CLASS", "REQ", "TYPE", "VALUES"], widths: [26, 5, 3, 8]))
            let required = Set(t.schema.requiredProperties)
            for (field, dataClass) in t.fields {
                let s = t.schema.property(field)
                let values = s?.enumeration.map { $0.compactMap(\.string).joined(separator: "|") }
                    ?? s?.annotation("description")?.string ?? ""
                print("  " + Table.row([field, dataClass.rawValue, required.contains(field) ? "yes" : "", s?.typeNames.joined(separator: "|") ?? "", values],
                                       widths: [26, 5, 3, 8]))
            }
        }
        let kind = versions.values.first!.streamKind.name
        for lifecycle in catalogue.lifecycles.values.sorted(by: { $0.name < $1.name }) where lifecycle.streamKind == kind {
            for t in lifecycle.transitions(for: name) {
                let guardText = t.when.map { " when \($0.text)" } ?? ""
                print("  lifecycle \(lifecycle.name): \(t.from.joined(separator: "|")) -> \(t.to ?? "(no change)")\(guardText)")
            }
        }
    }
}
