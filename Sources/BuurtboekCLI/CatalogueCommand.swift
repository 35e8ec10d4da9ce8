import ArgumentParser
import JSON
import Catalogue
import Ledger

struct CatalogueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalogue",
        abstract: "Show or update the event catalogue recorded in the ledger.",
        discussion: Help.page("""
        The ledger keeps every catalogue it has used, byte for byte, and which positions each
        one validated, so that events are always read with the schemas of their time. To add an
        organisation's own event type, add its schema file and an entry in catalogue.json, then
        update.

        Both work on a ledger directory or through a team server (show: a worker's, auditor's
        or admin's token; update: an admin's).

        EXAMPLES
          buurtboek catalogue
          buurtboek catalogue update --schemas ./Schemas
        """),
        subcommands: [Show.self, Update.self],
        defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "The catalogue in force and its history.",
            discussion: Help.page("""
            EXAMPLES
              buurtboek catalogue show
              buurtboek catalogue show --format json
              buurtboek catalogue show --ledger https://buurtboek.example:8443 --token-file ~/joris.token
            """))
        @OptionGroup var output: FactsFormat
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let facts: JSONObject
            if let remote = try self.ledger.remote() {
                facts = try remote.getJSON("/v1/catalogue/history").object ?? JSONObject()
            } else {
                let ledger = try self.ledger.open()
                facts = try ledger.catalogueFacts(ledger.inForce)
            }
            if output.json {
                print(JSONWriter.ordered(.object(facts)))
                return
            }
            print("catalogue \(facts["inForce"]?.int ?? 0) in force: \(facts["types"]?.int ?? 0) types, sha256 \(facts["sha256"]?.string ?? "")")
            for entry in facts["history"]?.array ?? [] {
                print("  catalogue \(entry["catalogue"]?.int ?? 0) validated events from position \(entry["fromPosition"]?.int ?? 0)")
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "update", abstract: "Record the catalogue of a schema directory as the one in force.",
            discussion: Help.page("""
            The schema directory holds catalogue.json and one schema file per type and version.
            Events already in the log keep the catalogue of their time; new ones are validated
            against this one. Running it again with the same files changes nothing. Against a
            team server (--ledger https://...) it needs an admin's token; the server takes the
            new catalogue at once, without a restart.

            EXAMPLES
              buurtboek catalogue update --schemas ./Schemas
              buurtboek catalogue update --schemas ./Schemas --ledger https://buurtboek.example:8443
              buurtboek catalogue update --schemas /srv/buurtboek/schemas-2025
            """))
        @Option(help: ArgumentHelp("The schema directory (default: $BUURTBOEK_SCHEMAS, else the Schemas/ of this build).", valueName: "dir"))
        var schemas: String?
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let catalogue = try SchemaLocation.loadCatalogue(schemas)
            let (number, changed) = try Update.install(catalogue, ledger: ledger)
            print(changed ? "catalogue \(number) is now in force (\(catalogue.typeCount) types)"
                          : "unchanged: catalogue \(number) is already this one")
        }

        /// Puts `catalogue` in force on the ledger directory or the team server (`areas import`
        /// records a catalogue the same way).
        static func install(_ catalogue: Catalogue, ledger: LedgerOptions) throws -> (number: UInt32, changed: Bool) {
            guard let remote = try ledger.remote() else { return try ledger.open().install(catalogue: catalogue) }
            // The server checks the bundle again and installs it; its appends in flight are
            // validated again under it.
            let answer = try remote.send(.POST, "/v1/catalogue", body: catalogue.bundle).json()
            guard let n = answer["catalogue"]?.int, let c = answer["changed"]?.bool else {
                throw CLIError("\(remote.url): the server's answer names no catalogue number", code: ExitStatus.storage)
            }
            return (UInt32(n), c)
        }
    }
}
