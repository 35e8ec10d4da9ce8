import ArgumentParser
import Ledger

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new, empty ledger.",
        discussion: Help.page("""
        Creates the ledger directory (mode 0700) and records the event catalogue from the schema
        directory in it. Appends validate against that recorded catalogue; change it with
        `buurtboek catalogue update`.

        EXAMPLES
          buurtboek init
          buurtboek init --ledger /srv/buurtboek/noord.ledger
        """))

    @OptionGroup var ledger: LedgerOptions
    @Option(help: ArgumentHelp("The schema directory (default: $BUURTBOEK_SCHEMAS, else the Schemas/ of this build).", valueName: "dir"))
    var schemas: String?

    func run() throws {
        let catalogue = try SchemaLocation.loadCatalogue(schemas)
        _ = try Ledger.create(at: ledger.path, catalogue: catalogue)
        print("created ledger \(ledger.path) with a catalogue of \(catalogue.typeCount) event types")
    }
}
