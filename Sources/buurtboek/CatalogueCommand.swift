import ArgumentParser
import Catalogue
import Ledger

struct CatalogueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalogue",
        abstract: "Show or update the event catalogue recorded in the ledger.",
        discussion: Help.reflow("""
        The ledger keeps every catalogue it has used, byte for byte, and which positions each
        one validated, so that events are always read with the schemas of their time. To add an
        organisation's own event type, add its schema file and an entry in catalogue.json, then
        update.

        EXAMPLES
          buurtboek catalogue
          buurtboek catalogue update --schemas ./Schemas
        """),
        subcommands: [Show.self, Update.self],
        defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "The catalogue in force and its history.")
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let ledger = try self.ledger.open()
            print("catalogue \(ledger.catalogueNumber) in force: \(ledger.catalogue.typeCount) types, sha256 \(Hash.sha256(ledger.catalogue.bundle).hex)")
            try ledger.read { snapshot in
                for (from, number) in try snapshot.catalogueHistory() {
                    print("  catalogue \(number) validated events from position \(from)")
                }
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "update", abstract: "Record the catalogue of a schema directory as the one in force.")
        @Option(help: ArgumentHelp("The schema directory (default: $BUURTBOEK_SCHEMAS, else the Schemas/ of this build).", valueName: "dir"))
        var schemas: String?
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let catalogue = try SchemaLocation.loadCatalogue(schemas)
            let (number, changed) = try self.ledger.open().install(catalogue: catalogue)
            print(changed ? "catalogue \(number) is now in force (\(catalogue.typeCount) types)"
                          : "unchanged: catalogue \(number) is already this one")
        }
    }
}
