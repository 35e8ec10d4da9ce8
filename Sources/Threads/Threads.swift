#if canImport(Glibc)
import Glibc
#endif

// The one threading idiom of the project: threads of our own (`WorkerThread`, `SerialWorker`,
// `parallel`), guarded by a `Lock` or waited on with a `Condition`, all on POSIX threads.
// Neither Foundation's threads nor Dispatch: a module this low (the catalogue uses it) stays
// without Foundation, and one idiom means one way to read who waits for whom.

/// A mutex.
public final class Lock: @unchecked Sendable {
    /// Allocated once and never moved: pthreads needs a stable address.
    fileprivate let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    public func withLock<R>(_ body: () throws -> R) rethrows -> R {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// Shared and exclusive holds: many readers at once, or one writer.
public final class ReadWriteLock: @unchecked Sendable {
    private let rwlock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    public init() { pthread_rwlock_init(rwlock, nil) }

    deinit {
        pthread_rwlock_destroy(rwlock)
        rwlock.deallocate()
    }

    public func lockShared() { pthread_rwlock_rdlock(rwlock) }
    public func lockExclusive() { pthread_rwlock_wrlock(rwlock) }
    public func unlock() { pthread_rwlock_unlock(rwlock) }
}

/// A lock with a condition to wait on: state guarded by it is changed under `lock`, and every
/// change that someone may wait for is followed by `broadcast`.
public final class Condition: @unchecked Sendable {
    private let mutex = Lock()
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() { pthread_cond_init(changed, nil) }

    deinit {
        pthread_cond_destroy(changed)
        changed.deallocate()
    }

    public func lock() { mutex.lock() }
    public func unlock() { mutex.unlock() }
    public func withLock<R>(_ body: () throws -> R) rethrows -> R { try mutex.withLock(body) }
    /// Waits (the lock held) until another thread broadcasts; check the state again after.
    public func wait() { pthread_cond_wait(changed, mutex.mutex) }
    public func broadcast() { pthread_cond_broadcast(changed) }
    /// Wakes one waiter: where every waiter waits for the same thing and one suffices.
    public func signal() { pthread_cond_signal(changed) }
}

/// A thread running `body` once; `join` waits for it to end.
public final class WorkerThread: @unchecked Sendable {
    private var thread = pthread_t()
    private var body: (() -> Void)?
    private var joined = false

    public struct StartError: Error, CustomStringConvertible {
        public let code: Int32
        public var description: String { "cannot start a thread (error \(code))" }
    }

    public init(_ body: @escaping () -> Void) throws {
        self.body = body
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { context in
            let worker = Unmanaged<WorkerThread>.fromOpaque(context!).takeRetainedValue()
            worker.body?()
            worker.body = nil
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<WorkerThread>.fromOpaque(context).release()
            throw StartError(code: rc)
        }
    }

    public func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }

    // A thread no one joins (it ends on its own) gives its resources back when it ends: its
    // closure holds the last reference until then.
    deinit { if !joined { pthread_detach(thread) } }
}

/// A thread that runs the jobs it is given one after another, in order, while the giver goes
/// on: for work that must stay in order but need not hold up the caller (hashing the tree,
/// replaying lifecycles). `drain` waits for every job given so far.
public final class SerialWorker: @unchecked Sendable {
    private let queue = JobQueue()
    private let thread: WorkerThread

    public init() throws {
        let queue = self.queue
        thread = try WorkerThread { queue.run() }
    }

    deinit {
        queue.stop()
        thread.join()
    }

    /// Runs `job` on the worker after the jobs given before it.
    public func submit(_ job: @escaping () -> Void) { queue.submit(job) }

    /// Waits until every job given so far has run; what they wrote is then visible to the caller.
    public func drain() { queue.drain() }
}

/// The jobs of a `SerialWorker`, which its thread holds (the worker itself may go away first).
private final class JobQueue: @unchecked Sendable {
    private let condition = Condition()
    // Guarded by `condition`:
    private var jobs: [() -> Void] = []
    private var busy = false
    private var stopping = false

    func submit(_ job: @escaping () -> Void) {
        condition.withLock {
            jobs.append(job)
            condition.broadcast()
        }
    }

    func drain() {
        condition.lock()
        while !jobs.isEmpty || busy { condition.wait() }
        condition.unlock()
    }

    func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
    }

    func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let next = jobs
            jobs.removeAll(keepingCapacity: true)
            busy = true
            condition.unlock()
            for job in next { job() }
            condition.withLock {
                busy = false
                condition.broadcast()
            }
        }
    }
}

/// Runs `body(0)` to `body(count - 1)` at once, the last on the calling thread, and returns
/// when all have ended. Falls back to running them in turn if a thread cannot be started.
public func parallel(_ count: Int, _ body: (Int) -> Void) {
    guard count > 1 else { if count == 1 { body(0) }; return }
    // The threads are joined before this returns, so `body` does not outlive the call.
    withoutActuallyEscaping(body) { body in
        var threads: [WorkerThread] = []
        var inline: [Int] = []
        for i in 0..<(count - 1) {
            if let thread = try? WorkerThread({ body(i) }) { threads.append(thread) } else { inline.append(i) }
        }
        for i in inline { body(i) }
        body(count - 1)
        for thread in threads { thread.join() }
    }
}
