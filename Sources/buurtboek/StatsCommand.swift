import ArgumentParser
import JSON
import Ledger
#if canImport(Glibc)
import Glibc
#endif

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
        let ledger = try self.ledger.open()
        try ledger.read { snapshot in
            let size = try snapshot.size()
            var byNeighbourhood: [String: Int] = [:]
            var first: Int64 = .max, last: Int64 = .min
            try snapshot.scan { _, record in
                byNeighbourhood[record.neighbourhood, default: 0] += 1
                first = min(first, record.occurredAt)
                last = max(last, record.occurredAt)
                return true
            }
            var info = stat()
            let onDisk = stat(ledger.path + "/data.mdb", &info) == 0 ? Int(info.st_size) : 0
            let env = ledger.environmentInfo
            let types = try snapshot.typeCounts().sorted(by: { $0.count > $1.count })
            if output.json {
                var o = JSONObject()
                o["ledger"] = .string(ledger.path)
                o["events"] = .int(Int64(size))
                o["streams"] = .int(Int64(try snapshot.streamCount()))
                o["occurredFrom"] = size > 0 ? .string(RFC3339.formatDay(Calendar.day(ofMicros: first))) : .null
                o["occurredTo"] = size > 0 ? .string(RFC3339.formatDay(Calendar.day(ofMicros: last))) : .null
                o["treeRoot"] = .string(try snapshot.root(size: size).hex)
                o["catalogue"] = .int(Int64(ledger.catalogueNumber))
                o["catalogueTypes"] = .int(Int64(ledger.catalogue.typeCount))
                o["bytesOnDisk"] = .int(Int64(onDisk))
                o["mapBytesUsed"] = .int(Int64(env.usedBytes))
                o["mapBytes"] = .int(Int64(env.mapSize))
                o["byType"] = .object(JSONObject(types.map { ($0.type, .int(Int64($0.count))) }))
                o["byNeighbourhood"] = .object(JSONObject(byNeighbourhood.sorted(by: { $0.key < $1.key }).map { ($0.key, .int(Int64($0.value))) }))
                print(JSONWriter.ordered(.object(o)))
                return
            }
            print("ledger \(ledger.path)")
            print("  events        \(Terminal.count(size)) in \(Terminal.count(try snapshot.streamCount())) streams")
            if size > 0 { print("  occurred      \(RFC3339.formatDay(Calendar.day(ofMicros: first))) to \(RFC3339.formatDay(Calendar.day(ofMicros: last)))") }
            print("  tree root     \(try snapshot.root(size: size).hex)")
            print("  catalogue     number \(ledger.catalogueNumber), \(ledger.catalogue.typeCount) types")
            print("  on disk       \(Terminal.bytes(onDisk)) (data.mdb)")
            print("  map           \(Terminal.bytes(env.usedBytes)) used of \(Terminal.bytes(env.mapSize)) (grows by itself)")
            print("by type")
            for (type, count) in types {
                print("  " + Table.row([type, Terminal.count(count)], widths: [30]))
            }
            print("by neighbourhood")
            for (code, count) in byNeighbourhood.sorted(by: { $0.key < $1.key }) {
                print("  " + Table.row([code.isEmpty ? "(none)" : code, Terminal.count(count)], widths: [30]))
            }
        }
    }
}
