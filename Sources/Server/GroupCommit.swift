import Foundation
import Ledger
import Threads

/// Commits the appends of concurrent requests together: one thread owns the ledger's write
/// side and takes, each time it is free, every batch that arrived meanwhile, appending them in
/// one write transaction that ends in one fsync. A request is answered only after that commit,
/// so an acknowledged event is durable; under load many requests share each fsync, which is
/// what lets 64 clients append far faster than 64 processes could (each fsync is milliseconds).
///
/// Batches are appended in arrival order, each event checked against the ledger as the events
/// before it in the same transaction left it (versions, lifecycles, ids), so sharing a commit
/// changes no outcome. A refused event is reported to its request and skipped; a failure of the
/// transaction itself (disk full, I/O) fails every request in it, and none of it is written.
public final class GroupCommit: @unchecked Sendable {
    public struct Commit: Sendable {
        public let events: Int
        public let requests: Int
        public let seconds: Double
    }

    private struct Pending {
        let events: [PreparedEvent]
        let validatedBy: UInt32
        let answer: @Sendable (Result<[AppendOutcome], Error>) -> Void
    }

    private let ledger: Ledger
    /// Writes the data keys of sealed events before their events are committed.
    private let persistKeys: () throws -> Void
    private let committed: @Sendable (Commit) -> Void
    private let condition = Condition()
    private var queue: [Pending] = []
    private var stopping = false
    private var stopped = false
    /// The most events one transaction takes: bounds its memory and the wait of the last in it.
    static let maxEventsPerCommit = 20_000

    public init(ledger: Ledger, persistKeys: @escaping () throws -> Void, committed: @escaping @Sendable (Commit) -> Void) throws {
        self.ledger = ledger
        self.persistKeys = persistKeys
        self.committed = committed
        _ = try WorkerThread { [self] in run() }
    }

    /// Appends `events`, validated by catalogue number `validatedBy`, in the next commit;
    /// returns their outcomes once it is durable. Throws `OutdatedCatalogue` when another
    /// catalogue is in force by then: nothing of them was written, and they must be prepared again.
    public func append(_ events: [PreparedEvent], validatedBy: UInt32) async throws -> [AppendOutcome] {
        try await enqueue(events, validatedBy: validatedBy).outcomes()
    }

    /// As `append(_:validatedBy:)` for a caller that cannot await: `answer` is called on the
    /// commit thread once the commit is durable.
    func append(_ events: [PreparedEvent], validatedBy: UInt32, then answer: @escaping @Sendable (Result<[AppendOutcome], Error>) -> Void) {
        submit(events, validatedBy: validatedBy, answer: answer)
    }

    /// Queues `events` at once, behind everything queued before (so a streamed import's
    /// batches are appended in their order), and returns a receipt to wait on: the caller may
    /// prepare its next batch meanwhile.
    public func enqueue(_ events: [PreparedEvent], validatedBy: UInt32) -> Receipt {
        let receipt = Receipt()
        submit(events, validatedBy: validatedBy) { receipt.resolve($0) }
        return receipt
    }

    /// The outcome of a queued batch, once its commit is durable.
    public final class Receipt: @unchecked Sendable {
        private let lock = Lock()
        private var result: Result<[AppendOutcome], Error>?
        private var waiter: CheckedContinuation<[AppendOutcome], Error>?

        func resolve(_ result: Result<[AppendOutcome], Error>) {
            lock.lock()
            if let waiter {
                self.waiter = nil
                lock.unlock()
                waiter.resume(with: result)
            } else {
                self.result = result
                lock.unlock()
            }
        }

        public func outcomes() async throws -> [AppendOutcome] {
            try await withCheckedThrowingContinuation { continuation in
                lock.lock()
                if let result {
                    lock.unlock()
                    continuation.resume(with: result)
                } else {
                    waiter = continuation
                    lock.unlock()
                }
            }
        }
    }

    private func submit(_ events: [PreparedEvent], validatedBy: UInt32, answer: @escaping @Sendable (Result<[AppendOutcome], Error>) -> Void) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else {
            answer(.failure(LedgerError(.storage, "the server is shutting down; retry against its successor")))
            return
        }
        queue.append(Pending(events: events, validatedBy: validatedBy, answer: answer))
        condition.signal()
    }

    /// Lets the commits in progress and those queued finish, then ends the thread.
    public func drain() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && stopping {
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
            var taken: [Pending] = [], count = 0
            while let first = queue.first, taken.isEmpty || count + first.events.count <= GroupCommit.maxEventsPerCommit {
                taken.append(queue.removeFirst())
                count += first.events.count
            }
            condition.unlock()
            commit(taken, events: count)
        }
    }

    private func commit(_ taken: [Pending], events count: Int) {
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            try persistKeys()
            let outcomes = try ledger.transaction(mode: .skipRefused) { appender in
                // A batch validated by an older catalogue is given back to its request, to be
                // prepared again; the others go on in this transaction.
                try taken.map { pending -> Result<[AppendOutcome], Error> in
                    do { return .success(try appender.append(pending.events, flush: false, validatedBy: pending.validatedBy)) } catch let outdated as OutdatedCatalogue {
                        return .failure(outdated)
                    }
                }
            }
            committed(Commit(events: count, requests: taken.count,
                             seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
            for (pending, outcome) in zip(taken, outcomes) { pending.answer(outcome) }
        } catch {
            for pending in taken { pending.answer(.failure(error)) }
        }
    }
}
