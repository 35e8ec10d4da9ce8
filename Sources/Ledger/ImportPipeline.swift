import Threads

/// The import's pipeline: threads read chunks of lines (in turn, so chunks are numbered in
/// input order) and prepare them; the writer takes the prepared chunks back in that order.
///
/// There are as many busy threads as cores: one preparing thread fewer than there are cores,
/// and the writer's own thread, which is the last preparer: when the chunk it needs next is not
/// ready, it prepares one itself instead of waiting. With a preparing thread for every core
/// beside the writer, the threads took turns on the cores, each was preempted while it held a
/// lock the others then slept on, and the writer ended the import alone on a backlog (a lower
/// priority for the preparing threads did not make up for it: measured, it was no faster and
/// took more CPU). Chunks are small, so no thread waits long for another. At most `aheadEvents`
/// lines are prepared beyond what the writer has taken, which bounds the memory held.
public final class ImportPipeline: @unchecked Sendable {
    public struct Chunk {
        public let lines: [LineReader.Line]
        public let batch: PreparerPool.Batch
    }

    static let chunkLines = 1_000

    private let reader: LineReader
    private let preparers: PreparerPool
    private let maxAhead: Int
    /// Guards `reader` and `nextToRead`: lines are read in order, one chunk at a time, but the
    /// writer taking a chunk need not wait for a read.
    private let reading = Lock()
    private var nextToRead = 0
    private let condition = Condition()
    // Guarded by `condition`:
    /// Chunks that threads have started to read: at most `maxAhead` beyond the writer.
    private var started = 0
    private var nextToTake = 0
    private var done: [Int: Chunk] = [:]
    private var lastChunk: Int?
    private var failure: Error?
    private var stopped = false
    /// Threads still working: `stop` waits for none, because the preparers they use (each owns
    /// a parser) may be handed to a new pipeline at once, when an --atomic import starts again.
    private var running: Int
    /// Chunks the writer is done with, freed by a preparing thread: freeing a chunk's events
    /// costs the writer time it cannot spare, and the preparing threads have it.
    private var finished: [[Chunk]] = []
    /// Preparing threads besides the writer's (none on one core).
    private let workers: Int
    private var threads: [WorkerThread] = []

    public init(path: String, preparers: PreparerPool, aheadEvents: Int) throws {
        reader = try LineReader(path: path)
        self.preparers = preparers
        maxAhead = max(2 * preparers.count, aheadEvents / ImportPipeline.chunkLines)
        workers = preparers.count - 1
        running = workers
        for worker in 0..<workers {
            do { threads.append(try WorkerThread { [self] in work(worker) }) } catch {
                condition.withLock { running -= workers - worker }
                stop()
                throw error
            }
        }
    }

    /// Lines read so far (all of them, once `next` has returned nil).
    public var lineCount: Int {
        reading.lock()
        defer { reading.unlock() }
        return reader.lineNumber
    }

    private func work(_ worker: Int) {
        while true {
            condition.lock()
            var toFree = finished
            finished.removeAll()
            condition.unlock()
            toFree.removeAll()  // the events are freed here, outside the lock

            condition.lock()
            while !stopped && failure == nil && lastChunk == nil && started - nextToTake >= maxAhead { condition.wait() }
            if stopped || failure != nil || lastChunk != nil {
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            started += 1
            condition.unlock()
            guard readAndPrepare(with: worker) else {
                condition.lock()
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
        }
    }

    /// Reads the next chunk and prepares it with preparer `worker`, for the writer to take;
    /// false at the end of the input or on a read error (which the writer then sees).
    /// Called with a chunk `started`, outside the lock.
    private func readAndPrepare(with worker: Int) -> Bool {
        reading.lock()
        let sequence = nextToRead
        let read = Result { try reader.next(ImportPipeline.chunkLines) }
        if case .success(.some) = read { nextToRead += 1 }
        reading.unlock()
        guard case .success(let lines?) = read else {
            condition.lock()
            if case .failure(let error) = read { failure = failure ?? error } else { lastChunk = sequence }
            condition.broadcast()
            condition.unlock()
            return false
        }
        let chunk = Chunk(lines: lines, batch: preparers.prepare(lines, with: worker))
        condition.lock()
        done[sequence] = chunk
        condition.broadcast()
        condition.unlock()
        return true
    }

    /// The next prepared chunk in input order, or nil at the end of the input. While it is not
    /// ready, the calling thread prepares chunks itself, with the last preparer.
    public func next() throws -> Chunk? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let chunk = done.removeValue(forKey: nextToTake) {
                nextToTake += 1
                condition.broadcast()
                return chunk
            }
            if let failure { throw failure }
            if let last = lastChunk, nextToTake >= last { return nil }
            if !stopped && lastChunk == nil && started - nextToTake < maxAhead {
                started += 1
                condition.unlock()
                _ = readAndPrepare(with: preparers.count - 1)
                condition.lock()
                continue
            }
            condition.wait()
        }
    }

    /// Hands chunks the writer has written back, to be freed on a preparing thread (or here,
    /// when there is none).
    public func recycle(_ chunks: [Chunk]) {
        guard workers > 0 else { return }
        condition.lock()
        finished.append(chunks)
        condition.unlock()
    }

    /// Ends the threads and waits for them; each first finishes the chunk in hand.
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
        for thread in threads { thread.join() }
    }
}
