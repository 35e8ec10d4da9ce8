/// An import of a JSON Lines file into a ledger directory: every core prepares chunks of lines
/// (`ImportPipeline`) while the calling thread writes them, in input order, into transactions
/// of `batchSize` lines. The CLI's `import` and `bench-import-stages` run it.
public struct LedgerImport {
    public let ledger: Ledger
    public let preparers: PreparerPool
    public let batchSize: Int
    /// Run before each commit: new data keys are made durable before anything sealed under them is.
    public let beforeCommit: () throws -> Void

    public init(ledger: Ledger, preparers: PreparerPool, batchSize: Int, beforeCommit: @escaping () throws -> Void = {}) {
        self.ledger = ledger
        self.preparers = preparers
        self.batchSize = batchSize
        self.beforeCommit = beforeCommit
    }

    /// What an import did so far.
    public struct Counts: Sendable {
        public var tally = AppendTally()
        public var refused = 0
        /// Lines read (all of them, once the import is done).
        public var lines = 0
        public init() {}
    }

    /// All or nothing: one transaction for the whole input, the first refused line thrown (and
    /// nothing imported). A growing map reruns the transaction from its start, so `path` must
    /// be readable twice (spool standard input first: `Spool`).
    public func atomic(path: String, progress: (Counts) -> Void) throws -> Counts {
        try ledger.transaction(mode: .atomic) { appender in
            var counts = Counts()
            let pipeline = try ImportPipeline(path: path, preparers: preparers, aheadEvents: batchSize)
            defer { pipeline.stop() }
            var unflushed = 0
            while let chunk = try pipeline.next() {
                if let refusal = chunk.batch.refusals.first {
                    throw LedgerError(refusal.error.kind, refusal.error.message + "; nothing was imported (--atomic)")
                }
                // The index entries are written a batch at a time, as in `inBatches`.
                unflushed += chunk.batch.events.count
                for outcome in try appender.append(chunk.batch.events, flush: unflushed >= batchSize) { _ = counts.tally.add(outcome) }
                if unflushed >= batchSize { unflushed = 0 }
                pipeline.recycle([chunk])
                progress(counts)
            }
            try beforeCommit()
            counts.lines = pipeline.lineCount
            return counts
        }
    }

    /// Appends the valid lines, a transaction per `batchSize` lines; each refused line (refused
    /// while preparing, or by the ledger) goes to `reject` once its transaction committed, in
    /// line order. The writer works while the next lines are prepared, so what is left after
    /// the last chunk is one chunk and a commit.
    public func inBatches(path: String, reject: (LineReader.Line, LedgerError) throws -> Void,
                          progress: (Counts) -> Void) throws -> Counts {
        var counts = Counts()
        let pipeline = try ImportPipeline(path: path, preparers: preparers, aheadEvents: batchSize)
        defer { pipeline.stop() }
        var atEnd = false
        while !atEnd {
            // The chunks of this transaction, kept to be written again if the map has to grow
            // (which runs the transaction again from its start).
            var taken: [ImportPipeline.Chunk] = []
            let outcomes = try ledger.transaction(mode: .skipRefused) { appender -> [[AppendOutcome]] in
                var outcomes: [[AppendOutcome]] = []
                var gathered = 0
                for chunk in taken {
                    outcomes.append(try appender.append(chunk.batch.events, flush: false))
                    gathered += chunk.lines.count
                }
                while gathered < batchSize {
                    guard let chunk = try pipeline.next() else { atEnd = true; break }
                    taken.append(chunk)
                    outcomes.append(try appender.append(chunk.batch.events, flush: false))
                    gathered += chunk.lines.count
                }
                try beforeCommit()
                return outcomes
            }
            for (chunk, chunkOutcomes) in zip(taken, outcomes) {
                var refused = chunk.batch.refusals
                for (index, outcome) in zip(chunk.batch.eventIndexes, chunkOutcomes) {
                    if let error = counts.tally.add(outcome) { refused.append((index, error)) }
                }
                for refusal in refused.sorted(by: { $0.index < $1.index }) {
                    counts.refused += 1
                    try reject(chunk.lines[refusal.index], refusal.error)
                }
            }
            pipeline.recycle(taken)
            progress(counts)
        }
        counts.lines = pipeline.lineCount
        return counts
    }
}
