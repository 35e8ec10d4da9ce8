import JSON
#if canImport(Glibc)
import Glibc
import TextFormats
#endif

/// The ledger's counts, as `stats` prints them and the server's /v1/stats answers: one JSON
/// object (keys in README "Output for scripts"), from which the text form is drawn, so the
/// local and the remote `stats` print the same.
public enum LedgerStats {
    public static func read(_ ledger: Ledger) throws -> JSONObject {
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
            return o
        }
    }
}

extension Ledger {
    /// `verify` as JSON (the keys of `verify --format json`): for the CLI and the server alike.
    public func verificationFacts(progress: ((UInt64) -> Void)? = nil) throws -> JSONObject {
        let started = Clock.nowMicros()
        let report = try verify(progress: progress)
        let seconds = Double(Clock.nowMicros() - started) / 1e6
        return JSONObject([("verified", .bool(true)), ("events", .int(Int64(report.size))), ("root", .string(report.root.hex)),
                           ("streamsWithStates", .int(Int64(report.streamsWithStates))), ("streamsUnchecked", .int(Int64(report.unchecked))),
                           ("neighbourhoodsOutsideDivision", .int(Int64(report.outsideDivision))),
                           ("firstOutsideDivision", .array(report.firstOutsideDivision.map { .int(Int64($0)) })),
                           ("seconds", .double((seconds * 1000).rounded() / 1000))])
    }
}
