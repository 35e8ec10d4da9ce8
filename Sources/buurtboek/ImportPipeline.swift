import Foundation
import Ledger

/// The import's pipeline: one thread per core reads a chunk of lines (under a lock, so chunks
/// are numbered in input order) and prepares it; the writer takes the prepared chunks back in
/// that order. Chunks are small, so no core waits at the end of a large batch for another, and
/// a thread that has nothing to write leaves its core to the preparers. At most `aheadEvents`
/// lines are prepared beyond what the writer has taken, which bounds the memory held.
final class ImportPipeline: @unchecked Sendable {
    struct Chunk {
        let lines: [LineReader.Line]
        let batch: PreparerPool.Batch
    }

    static let chunkLines = 1_000

    private let reader: LineReader
    private let preparers: PreparerPool
    private let maxAhead: Int
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var nextToRead = 0
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

    init(path: String, preparers: PreparerPool, aheadEvents: Int) throws {
        reader = try LineReader(path: path)
        self.preparers = preparers
        maxAhead = max(2 * preparers.count, aheadEvents / ImportPipeline.chunkLines)
        running = preparers.count
        for worker in 0..<preparers.count {
            let thread = Thread { [self] in work(worker) }
            thread.start()
        }
    }

    /// Lines read so far (all of them, once `next` has returned nil).
    var lineCount: Int {
        condition.lock()
        defer { condition.unlock() }
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
            while !stopped && failure == nil && lastChunk == nil && nextToRead - nextToTake >= maxAhead { condition.wait() }
            if stopped || failure != nil || lastChunk != nil {
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let sequence = nextToRead
            let lines: [LineReader.Line]?
            do {
                lines = try reader.next(ImportPipeline.chunkLines)
            } catch {
                failure = error
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            guard let lines else {
                lastChunk = sequence
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            nextToRead += 1
            condition.unlock()

            let chunk = Chunk(lines: lines, batch: preparers.prepare(lines, with: worker))

            condition.lock()
            done[sequence] = chunk
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next prepared chunk in input order, or nil at the end of the input.
    func next() throws -> Chunk? {
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
            condition.wait()
        }
    }

    /// Hands chunks the writer has written back, to be freed on a preparing thread.
    func recycle(_ chunks: [Chunk]) {
        condition.lock()
        finished.append(chunks)
        condition.unlock()
    }

    /// Ends the threads and waits for them; each first finishes the chunk in hand.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }
}
