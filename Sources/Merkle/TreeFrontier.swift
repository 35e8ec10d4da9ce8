/// The right edge of a growing tree: the hash of each complete subtree that the leaves so far
/// decompose into, one per set bit of the size. Appending a leaf is a binary increment:
/// equal-sized subtrees merge, and every merge is a new hash to store.
public struct TreeFrontier: Sendable {
    public private(set) var size: Int64
    /// hashes[L] is meaningful only where bit L of `size` is set.
    private var hashes: [Hash]

    public init(size: Int64, reader: some HashReader) throws {
        self.size = size
        self.hashes = Array(repeating: .empty, count: 64)
        let parts = Merkle.completeSubtrees(start: 0, end: size)
        let stored = try reader.hashes(at: parts.map { Merkle.storageIndex(level: $0.level, index: $0.index) })
        for (part, hash) in zip(parts, stored) { hashes[part.level] = hash }
    }

    public static var empty: TreeFrontier { TreeFrontier() }
    private init() { size = 0; hashes = Array(repeating: .empty, count: 64) }

    /// Adds a leaf; calls `store` with each new hash in storage order (leaf first).
    public mutating func append(leaf: Hash, store: (Int64, Hash) throws -> Void) rethrows {
        var index = Merkle.storedCount(size: size)
        var hash = leaf
        try store(index, hash)
        var level = 0
        while size >> level & 1 == 1 {
            hash = Merkle.nodeHash(hashes[level], hash)
            index += 1
            try store(index, hash)
            level += 1
        }
        hashes[level] = hash
        size += 1
    }

    public var root: Hash {
        guard size > 0 else { return .empty }
        var root: Hash?
        for level in 0..<64 where size >> level & 1 == 1 {
            root = root.map { Merkle.nodeHash(hashes[level], $0) } ?? hashes[level]
        }
        return root!
    }
}
