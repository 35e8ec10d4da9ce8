import Ledger
import Threads
#if canImport(Glibc)
import Glibc
#endif

/// A fold over several cores with one pass over the log. Reading the log is memory-bound, so
/// two threads scanning it each would mostly wait on each other; instead the calling thread
/// scans once, folds the first group itself, and hands the records the other groups read to
/// one thread per group, in batches of pointers into its own snapshot. The snapshot stays open
/// until every thread is done, so the pointers stay valid; positions up to `head` never change,
/// so the lookups a correction makes on another thread's snapshot see the same log.
struct FanOutFold {
    let ledger: Ledger
    let sealer: PersonalDataSealer?

    func run(_ groups: [[any Projector]], to head: UInt64, progress: ((UInt64) -> Void)?) throws {
        try ledger.read { snapshot in
            let first = try FoldGroup(groups[0].map { FoldRun($0, from: 0) }, snapshot: snapshot, sealer: sealer, head: head)
            let consumers = groups.dropFirst().map { Consumer(runs: $0.map { FoldRun($0, from: 0) }) }
            for consumer in consumers { try consumer.start(ledger: ledger, sealer: sealer, head: head) }
            var failure: Error?
            do {
                var scanned: UInt64 = 0
                try snapshot.scan(from: 1, to: head) { position, record in
                    scanned += 1
                    if scanned & 0xFFFF == 0 { progress?(scanned) }
                    if first.wants(record.typeBytes) { try first.visit(position, record) }
                    for consumer in consumers where consumer.filter.wants(record.typeBytes) {
                        consumer.add(position, record.bytes)
                    }
                    return true
                }
                progress?(scanned)
                first.finish()
            } catch {
                failure = error
            }
            // Always let the threads finish before the snapshot (and its pointers) goes away.
            for consumer in consumers { consumer.finish() }
            if let failure { throw failure }
            if let error = consumers.compactMap(\.error).first { throw error }
        }
    }
}

/// One group folded on a thread of its own, fed batches of records through a bounded queue.
final class Consumer: @unchecked Sendable {
    typealias Batch = [(UInt64, UnsafeRawBufferPointer)]
    static let batchSize = 4096

    let runs: [FoldRun]
    /// Which types the consumer reads, for the scanning thread: a table of its own, so the two
    /// threads share none.
    let filter: TypeTable
    private let queue = BatchQueue(capacity: 16)
    private var batch: Batch = []
    private var thread: WorkerThread?
    private(set) var error: Error?

    init(runs: [FoldRun]) {
        self.runs = runs
        filter = TypeTable(runs: runs)
        batch.reserveCapacity(Self.batchSize)
    }

    func start(ledger: Ledger, sealer: PersonalDataSealer?, head: UInt64) throws {
        let work = { [self] in
            do {
                try ledger.read { snapshot in
                    let group = try FoldGroup(runs, snapshot: snapshot, sealer: sealer, head: head)
                    while let batch = queue.pop() {
                        for (position, bytes) in batch { try group.visit(position, try RecordView(bytes)) }
                    }
                    group.finish()
                }
            } catch {
                self.error = error
                queue.abandon()
            }
        }
        do { thread = try WorkerThread(work) } catch {
            throw ProjectionError.storage("cannot start a fold thread: \(error)")
        }
    }

    func add(_ position: UInt64, _ bytes: UnsafeRawBufferPointer) {
        batch.append((position, bytes))
        if batch.count == Self.batchSize {
            queue.push(batch)
            batch.removeAll(keepingCapacity: true)
        }
    }

    /// Sends what is left, closes the queue and waits for the thread.
    func finish() {
        if !batch.isEmpty { queue.push(batch) }
        batch = []
        queue.close()
        thread?.join()
    }
}

/// A bounded queue of batches between the scanning thread and one consumer. A consumer that
/// fails abandons it, after which pushes are dropped instead of waiting forever.
final class BatchQueue: @unchecked Sendable {
    private var items: [Consumer.Batch] = []
    private var closed = false, abandoned = false
    private let capacity: Int
    private let condition = Condition()

    init(capacity: Int) { self.capacity = capacity }

    func push(_ batch: Consumer.Batch) {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !abandoned { condition.wait() }
        if abandoned { return }
        items.append(batch)
        condition.broadcast()
    }

    func pop() -> Consumer.Batch? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        if items.isEmpty { return nil }
        let batch = items.removeFirst()
        condition.broadcast()
        return batch
    }

    func close() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
    }

    func abandon() {
        condition.withLock {
            abandoned = true
            items = []
            condition.broadcast()
        }
    }
}
