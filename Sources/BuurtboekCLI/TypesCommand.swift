import ArgumentParser
import Catalogue
import JSON
import Ledger

struct TypesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "types",
        abstract: "List the event catalogue, or describe one type.",
        discussion: Help.page("""
        Data classes: N non-personal, P pseudonymous id, I identifying (names, contact details,
        any free text), S special category (health, wellbeing, poverty, debts).

        EXAMPLES
          buurtboek types
          buurtboek types referral.made
        """))

    @Argument(help: "An event type to describe.", completion: .custom(TypeNames.complete)) var type: String?
    @OptionGroup var output: FactsFormat
    @OptionGroup var display: DisplayOptions
    @OptionGroup var ledger: LedgerOptions

    func run() throws {
        let catalogue = try ledger.remote().map(RemoteCatalogue.fetch) ?? ledger.open().catalogue
        if output.json {
            let names = type.map { [$0] } ?? catalogue.typeNames
            if let type, catalogue.types[type] == nil {
                throw CLIError("unknown event type \(type)\(NameSuggestion.hint(type, in: catalogue.typeNames)) (see `buurtboek types`)", code: ExitStatus.refused)
            }
            let list: [JSONValue] = names.flatMap { name in
                catalogue.types[name]!.keys.sorted().map { version -> JSONValue in
                    let t = catalogue.types[name]![version]!
                    let required = Set(t.schema.requiredProperties)
                    let fields: [JSONValue] = t.fields.map { field, dataClass in
                        .object(JSONObject([("name", .string(field)), ("dataClass", .string(dataClass.rawValue)), ("required", .bool(required.contains(field))),
                                            ("types", .array((t.schema.property(field)?.typeNames ?? []).map { .string($0) }))]))
                    }
                    return .object(JSONObject([("type", .string(name)), ("version", .int(Int64(version))), ("streamKind", .string(t.streamKind.name)),
                                               ("description", .string(t.description)), ("fields", .array(fields))]))
                }
            }
            print(JSONWriter.ordered(.array(list)))
            return
        }
        guard let name = type else {
            var table = TextTable([.init("TYPE"), .init("STREAM KIND"), .init("VERSIONS"), .init("DESCRIPTION", wraps: true)])
            for name in catalogue.typeNames {
                let versions = catalogue.types[name]!
                let latest = versions[versions.keys.max()!]!
                table.add([name, latest.streamKind.name, versions.keys.sorted().map { "v\($0)" }.joined(separator: ","), latest.description])
            }
            print(table.render(width: display.width), terminator: "")
            return
        }
        guard let versions = catalogue.types[name] else {
            throw CLIError("unknown event type \(name)\(NameSuggestion.hint(name, in: catalogue.typeNames)) (see `buurtboek types`)", code: ExitStatus.refused)
        }
        for version in versions.keys.sorted() {
            let t = versions[version]!
            let heading = "\(t.name) v\(version): \(t.description)"
            for line in display.width.map({ TextTable.wrap(heading, to: $0) }) ?? [heading] { print(line) }
            print("  stream kind \(t.streamKind.name), stream ids \(t.streamKind.idPattern)")
            var table = TextTable([.init("FIELD"), .init("CLASS"), .init("REQ"), .init("TYPE", wraps: true), .init("VALUES", wraps: true)], indent: 2)
            let required = Set(t.schema.requiredProperties)
            for (field, dataClass) in t.fields {
                let s = t.schema.property(field)
                let values = s?.enumeration.map { $0.compactMap(\.string).joined(separator: "|") }
                    ?? s?.annotation("description")?.string ?? ""
                table.add([field, dataClass.rawValue, required.contains(field) ? "yes" : "", s?.typeNames.joined(separator: "|") ?? "",
                           values.replacing("|", with: " | ")])
            }
            print(table.render(width: display.width), terminator: "")
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
