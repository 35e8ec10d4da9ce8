// Times the two halves of an import on one thread each, apart from the pipeline that overlaps
// them: preparing (parse, validate, canonicalise, seal) and writing (ids, lifecycles, record,
// tree, indexes, commit). Each stage is run on a fresh ledger several times and the fastest run
// is kept, which on a shared machine is the figure least disturbed by neighbours. Then the
// import itself (`LedgerImport`, both stages overlapped on every core), as `buurtboek import` runs it.
// Usage: bench-import-stages FILE.jsonl [--events N] [--runs R] [--schemas DIR]
import Foundation
import Catalogue
import Ledger
import Privacy

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("bench-import-stages: \(message)\n".utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    defer { arguments.removeSubrange(i...(i + 1)) }
    return arguments[i + 1]
}
let events = Int(option("--events") ?? "200000") ?? 200_000
let runs = Int(option("--runs") ?? "5") ?? 5
let schemas = option("--schemas") ?? "Schemas"
guard let path = arguments.first else { fail("usage: bench-import-stages FILE.jsonl [--events N] [--runs R] [--schemas DIR]") }

guard let file = fopen(path, "rb") else { fail("cannot open \(path)") }
var lines: [[UInt8]] = []
var buffer = [CChar](repeating: 0, count: 1 << 20)
while lines.count < events, fgets(&buffer, Int32(buffer.count), file) != nil {
    var line = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    if line.last == 10 { line.removeLast() }
    if !line.isEmpty { lines.append(line) }
}
fclose(file)

let catalogue: Catalogue
do { catalogue = try Catalogue.load(directory: schemas) } catch { fail("cannot load the catalogue from \(schemas): \(error)") }

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// The fastest prepare and write times over `runs` fresh ledgers. A function, not top-level
/// code: top-level variables belong to the main actor, and every access would check for it.
func measure(_ lines: [[UInt8]], catalogue: Catalogue, runs: Int) -> (prepare: Double, write: Double, pipeline: Double) {
    var prepareBest = Double.infinity, writeBest = Double.infinity, pipelineBest = Double.infinity
    for run in 1...runs {
        let work = NSTemporaryDirectory() + "bench-import-stages-\(getpid())-\(run)"
        mkdir(work, 0o700)
        defer { try? FileManager.default.removeItem(atPath: work) }
        do {
            try MasterKey.create(at: work + "/master.key")
            let sealer = Sealer(ledgerPath: work + "/ledger", masterKeyPath: work + "/master.key")
            let ledger = try Ledger.create(at: work + "/ledger", catalogue: catalogue, sealer: sealer)
            let preparer = EventPreparer(catalogue: catalogue, defaultWorker: "w-bench", sealer: sealer)
            var prepared: [PreparedEvent] = []
            prepared.reserveCapacity(lines.count)
            let prepare = try seconds {
                for (i, line) in lines.enumerated() { prepared.append(try preparer.prepare(line: line, source: .line(i + 1))) }
            }
            try sealer.persist()
            let write = try seconds {
                var start = 0
                while start < prepared.count {
                    let end = min(start + 50_000, prepared.count)
                    _ = try ledger.append(Array(prepared[start..<end]))
                    start = end
                }
            }
            // The import itself, both stages overlapped on every core, into a second ledger.
            let input = work + "/input.jsonl"
            FileManager.default.createFile(atPath: input, contents: Data(lines.joined(separator: [10])))
            let secondSealer = Sealer(ledgerPath: work + "/second", masterKeyPath: work + "/master.key")
            let second = try Ledger.create(at: work + "/second", catalogue: catalogue, sealer: secondSealer)
            let engine = LedgerImport(ledger: second, preparers: PreparerPool(catalogue: catalogue, worker: "w-bench", restoring: false, sealer: secondSealer),
                                      batchSize: 50_000) { try secondSealer.persist() }
            var refused = 0
            let pipeline = try seconds { _ = try engine.inBatches(path: input, reject: { _, _ in refused += 1 }, progress: { _ in }) }
            guard refused == 0 else { fail("run \(run): the pipeline refused \(refused) lines that the stages took") }
            prepareBest = min(prepareBest, prepare)
            writeBest = min(writeBest, write)
            pipelineBest = min(pipelineBest, pipeline)
        } catch {
            fail("run \(run): \(error)")
        }
    }
    return (prepareBest, writeBest, pipelineBest)
}
let (prepareBest, writeBest, pipelineBest) = measure(lines, catalogue: catalogue, runs: runs)
let count = Double(lines.count)
func perEvent(_ s: Double) -> String { String(format: "%6.2f µs/event  %9.0f events/s", s * 1e6 / count, count / s) }
print("bench-import-stages: \(lines.count) events, fastest of \(runs) runs, one thread per stage")
print("  prepare (parse, validate, seal)   \(perEvent(prepareBest))")
print("  write (check, encode, hash, LMDB) \(perEvent(writeBest))")
print("  import (both overlapped, all cores) \(perEvent(pipelineBest))")
