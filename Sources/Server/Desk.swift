import Threads

/// A thread of its own for requests that take long: folds of the read models (reports,
/// catch-ups, replays) and whole-log scans (verify, stats) run for up to seconds. On Swift's
/// task pool, which has a thread per core, two of them at once would hold up every other
/// request, appends included; a desk takes its jobs in turn instead, the awaiting task holding
/// no thread. The read models' desk is also what LMDB asks of their store (one environment,
/// opened once per process) and of a replay's scratch store.
final class Desk: Sendable {
    private let worker: SerialWorker

    init() throws { worker = try SerialWorker() }

    /// Runs `job` after the jobs given before it.
    func run<T: Sendable>(_ job: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            worker.submit { continuation.resume(with: Result { try job() }) }
        }
    }
}
