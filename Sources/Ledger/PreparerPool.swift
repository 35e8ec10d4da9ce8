import Catalogue
#if canImport(Glibc)
import Glibc
#endif

/// One event preparer per preparing thread (each owns a parser): parsing and validation are the
/// costly part of an import, and need no ledger state. See `ImportPipeline` for the threads.
public final class PreparerPool: @unchecked Sendable {
    public struct Batch: Sendable {
        public var events: [PreparedEvent] = []
        /// For each prepared event, the index of its line in the batch.
        public var eventIndexes: [Int] = []
        public var refusals: [(index: Int, error: LedgerError)] = []
    }

    private let preparers: [EventPreparer]

    public init(catalogue: Catalogue, worker: String?, restoring: Bool, sealer: PersonalDataSealer?, keepsRecordedAt: Bool = false) {
        // One per core: for the preparing threads, and the last for the writer's (see ImportPipeline).
        let cores = max(1, min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 8))
        preparers = (0..<cores).map { _ in
            EventPreparer(catalogue: catalogue, defaultWorker: worker, restoring: restoring, sealer: sealer, derivesIds: true,
                          keepsRecordedAt: keepsRecordedAt)
        }
    }

    public var count: Int { preparers.count }

    /// Prepares `lines` with preparer number `worker` alone: for a thread of its own.
    public func prepare(_ lines: [LineReader.Line], with worker: Int) -> Batch {
        let now = Clock.nowMicros()
        var batch = Batch()
        batch.events.reserveCapacity(lines.count)
        for (i, line) in lines.enumerated() { batch.add(prepare(line, with: worker, now: now), index: i) }
        return batch
    }

    private func prepare(_ line: LineReader.Line, with worker: Int, now: Int64) -> Result<PreparedEvent, LedgerError> {
        let preparer = preparers[worker]
        preparer.now = now
        do {
            return .success(try line.bytes.withUnsafeBytes { try preparer.prepare(line: $0, source: .line(line.number)) })
        } catch let error as LedgerError {
            return .failure(error)
        } catch {
            return .failure(LedgerError(.refused, "line \(line.number): \(error)"))
        }
    }
}

extension PreparerPool.Batch {
    mutating func add(_ result: Result<PreparedEvent, LedgerError>, index: Int) {
        switch result {
        case .success(let event): events.append(event); eventIndexes.append(index)
        case .failure(let error): refusals.append((index, error))
        }
    }
}
