import ArgumentParser
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
        if let remote = try ledger.remote() {
            stats = try remote.getJSON("/v1/stats").object ?? JSONObject()
        } else {
            stats = try LedgerStats.read(try ledger.open())
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
        for (code, count) in stats["byNeighbourhood"]?.object ?? JSONObject() {
            print("  " + Table.row([code.isEmpty ? "(none)" : code, Terminal.count(Int(count.int ?? 0))], widths: [30]))
        }
    }
}
