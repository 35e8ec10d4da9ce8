import Threads

/// Where the read models' work runs: reports, catch-ups and replays fold the log for up to
/// seconds. On Swift's task pool, which has a thread per core, two of them at once would hold
/// up every other request, appends included; here one thread of their own takes them in turn,
/// which is also what LMDB asks of the read-model store (one environment, opened once per
/// process) and of a replay's scratch store.
final class ReadModelDesk: Sendable {
    private let worker: SerialWorker

    init() throws { worker = try SerialWorker() }

    /// Runs `job` after the jobs given before it, off the task pool; the caller's task waits
    /// without holding a thread.
    func run<T: Sendable>(_ job: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            worker.submit { continuation.resume(with: Result { try job() }) }
        }
    }
}
