import Threads
import Merkle

/// Hashes a batch's records into the tree on a thread of its own, in log order, while the
/// writer goes on checking and placing the next events: hashing is a sixth of an append's work
/// and needs nothing from the ledger but the placed records, which the single writer thread
/// would otherwise do alone. The writer hands over events in segments and, before its
/// transaction commits, takes back the new tree hashes to store (`finish`).
final class TreeHasher: @unchecked Sendable {
    enum Item {
        /// A placed event whose leaf hash is still to be computed.
        case event(PreparedEvent, streamVersion: UInt64, recordedAt: Int64)
        /// A leaf the writer already computed (a restored event, checked against its export).
        case leaf(Hash)
    }

    private static let segmentSize = 1024

    private let worker: SerialWorker
    // Touched only by `worker`'s jobs, or after `drain`:
    private var frontier: TreeFrontier
    private var computed: [(index: Int64, hash: Hash)] = []
    // Touched only by the writer:
    private var segment = Segments<Item>(size: TreeHasher.segmentSize)

    init(frontier: TreeFrontier) throws {
        self.frontier = frontier
        worker = try SerialWorker()
    }

    func add(_ item: Item) {
        if let items = segment.add(item) { handOver(items) }
    }

    private func handOver(_ items: [Item]) {
        worker.submit { [self] in
            for item in items {
                let leaf: Hash
                switch item {
                case .event(let event, let streamVersion, let recordedAt):
                    leaf = event.leafHash(streamVersion: streamVersion, recordedAt: recordedAt)
                case .leaf(let hash):
                    leaf = hash
                }
                frontier.append(leaf: leaf) { index, hash in computed.append((index, hash)) }
            }
        }
    }

    /// Waits for every handed-over record, and returns the tree hashes to store, in storage
    /// order (leaf first, then the nodes it completes), since the last call.
    func finish() -> [(index: Int64, hash: Hash)] {
        if let items = segment.take() { handOver(items) }
        worker.drain()
        let hashes = computed
        computed.removeAll(keepingCapacity: true)
        return hashes
    }
}
