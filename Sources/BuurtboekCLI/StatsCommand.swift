import ArgumentParser
import Catalogue
import JSON
import Ledger

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Counts by type and by neighbourhood, size on disk, map use.",
        discussion: Help.page("""
        EXAMPLES
          buurtboek stats
          buurtboek stats --format json
        """))

    @OptionGroup var output: FactsFormat
    @OptionGroup var ledger: LedgerOptions

    func run() throws {
        let stats: JSONObject
        // The catalogue names the neighbourhoods; JSON gives codes only, and needs none.
        let catalogue: () throws -> Catalogue
        if let remote = try ledger.remote() {
            stats = try remote.getJSON("/v1/stats").object ?? JSONObject()
            catalogue = { try RemoteCatalogue.fetch(remote) }
        } else {
            let opened = try ledger.open()
            stats = try LedgerStats.read(opened)
            catalogue = { opened.catalogue }
        }
        if output.json {
            print(JSONWriter.ordered(.object(stats)))
            return
        }
        func int(_ key: String) -> Int { Int(stats[key]?.int ?? 0) }
        print("ledger \(stats["ledger"]?.string ?? "")")
        print("  events        \(Terminal.count(int("events"))) in \(Terminal.count(int("streams"))) streams")
        if let from = stats["occurredFrom"]?.string, let to = stats["occurredTo"]?.string { print("  occurred      \(from) to \(to)") }
        print("  tree root     \(stats["treeRoot"]?.string ?? "")")
        print("  catalogue     number \(int("catalogue")), \(int("catalogueTypes")) types")
        print("  on disk       \(Terminal.bytes(int("bytesOnDisk"))) (data.mdb)")
        print("  map           \(Terminal.bytes(int("mapBytesUsed"))) used of \(Terminal.bytes(int("mapBytes"))) (grows by itself)")
        print("by type")
        for (type, count) in stats["byType"]?.object ?? JSONObject() {
            print("  " + Table.row([type, Terminal.count(Int(count.int ?? 0))], widths: [30]))
        }
        print("by neighbourhood")
        var names = AreaNames(try catalogue())
        let counts = stats["byNeighbourhood"]?.object ?? JSONObject()
        let width = min(48, counts.map { names.name($0.key).count }.max() ?? 0)
        for (code, count) in counts {
            print("  " + Table.row([code.isEmpty ? "(none)" : code, names.name(code), Terminal.count(Int(count.int ?? 0))], widths: [12, width]))
        }
    }
}
