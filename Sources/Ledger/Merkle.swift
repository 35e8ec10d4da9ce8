
/// The RFC 9162 (Certificate Transparency v2) Merkle tree, as small pure functions over hashes.
///
/// Leaves are numbered from 0. The hash of D[0:n] (MTH) splits at k, the largest power of two
/// smaller than n: MTH(D[0:n]) = H(0x01 || MTH(D[0:k]) || MTH(D[k:n])), and a leaf's hash is
/// H(0x00 || bytes). Only *complete* subtrees (2^L leaves starting at a multiple of 2^L) are ever
/// stored; every other hash is derived from O(log n) of them.
public enum Merkle {
    public static func leafHash(_ bytes: UnsafeRawBufferPointer) -> Hash {
        leafHash(bytes, UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// The leaf hash of the concatenation of `head` and `tail`.
    public static func leafHash(_ head: UnsafeRawBufferPointer, _ tail: UnsafeRawBufferPointer) -> Hash {
        Hash.sha256(prefix: 0x00, head, tail)
    }

    public static func leafHash(_ bytes: [UInt8]) -> Hash { bytes.withUnsafeBytes { leafHash($0) } }

    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        left.withUnsafeBytes { l in right.withUnsafeBytes { r in Hash.sha256(prefix: 0x01, l, r) } }
    }

    // MARK: Storage order

    /// Where the hash of complete subtree (level, index) sits in append order, the order in which
    /// an appending log can write them: after leaf n come the leaf hash and then the hash of
    /// every subtree that leaf completes, lowest first. (This is the layout of Go's sumdb/tlog.)
    ///
    /// Derivation: subtree (L, i) is completed by leaf m = (i+1)·2^L − 1. Before m's hashes come,
    /// for every leaf j < m, one leaf hash plus one hash per trailing 1-bit of j; summed over
    /// j < m this is m + m/2 + m/4 + ... . Within m's group the subtree sits at offset L.
    public static func storageIndex(level: Int, index: Int64) -> Int64 {
        let lastLeaf = ((index + 1) << level) - 1
        var before: Int64 = 0
        var m = lastLeaf
        while m > 0 { before += m; m >>= 1 }
        return before + Int64(level)
    }

    /// How many hashes a tree of `size` leaves stores.
    public static func storedCount(size: Int64) -> Int64 {
        guard size > 0 else { return 0 }
        let last = size - 1
        var count = storageIndex(level: 0, index: last) + 1
        var bits = last
        while bits & 1 == 1 { count += 1; bits >>= 1 }
        return count
    }

    /// The complete subtrees that make up D[start:end) for any start < end: greedily the
    /// largest aligned power of two at each step. Used for every non-stored hash.
    public static func completeSubtrees(start: Int64, end: Int64) -> [(level: Int, index: Int64)] {
        var parts: [(Int, Int64)] = []
        var at = start
        while at < end {
            var level = 0
            // Grow while the subtree stays aligned at `at` and inside the range.
            while at % (Int64(1) << (level + 1)) == 0 && at + (Int64(1) << (level + 1)) <= end { level += 1 }
            parts.append((level, at >> level))
            at += Int64(1) << level
        }
        return parts
    }

    /// MTH(D[start:end)) from the stored hashes of its complete subtrees. A range that is not
    /// itself complete is, in RFC 9162's split order, a left-leaning fold from the right.
    public static func subtreeHash(start: Int64, end: Int64, reader: some HashReader) throws -> Hash {
        if start == end { return .empty }
        let parts = completeSubtrees(start: start, end: end)
        let hashes = try reader.hashes(at: parts.map { storageIndex(level: $0.level, index: $0.index) })
        var hash = hashes.last!
        for h in hashes.dropLast().reversed() { hash = nodeHash(h, hash) }
        return hash
    }

    /// The root of the first `size` leaves, in O(log size) reads.
    public static func root(size: Int64, reader: some HashReader) throws -> Hash {
        try subtreeHash(start: 0, end: size, reader: reader)
    }

    // MARK: Proofs (RFC 9162 2.1.3 and 2.1.4)

    /// PATH(m, D[start:end)): the sibling hashes from leaf `leaf` up to the root of that range,
    /// nearest the leaf first.
    public static func inclusionProof(leaf: Int64, size: Int64, reader: some HashReader) throws -> [Hash] {
        precondition(leaf >= 0 && leaf < size)
        var proof: [Hash] = []
        try path(leaf, 0, size, reader, &proof)
        return proof
    }

    private static func path(_ m: Int64, _ start: Int64, _ end: Int64, _ reader: some HashReader, _ out: inout [Hash]) throws {
        let n = end - start
        guard n > 1 else { return }
        let k = largestPowerOfTwo(below: n)
        if m - start < k {
            try path(m, start, start + k, reader, &out)
            out.append(try subtreeHash(start: start + k, end: end, reader: reader))
        } else {
            try path(m, start + k, end, reader, &out)
            out.append(try subtreeHash(start: start, end: start + k, reader: reader))
        }
    }

    /// PROOF(m, D[0:n]) for 0 < m ≤ n: the hashes that let a holder of the size-m root check
    /// that the size-n tree extends it. Deepest node first, as RFC 9162 produces it.
    public static func consistencyProof(old m: Int64, new n: Int64, reader: some HashReader) throws -> [Hash] {
        precondition(0 < m && m <= n)
        var proof: [Hash] = []
        try subproof(m, 0, n, true, reader, &proof)
        return proof
    }

    private static func subproof(_ m: Int64, _ start: Int64, _ end: Int64, _ complete: Bool,
                                 _ reader: some HashReader, _ out: inout [Hash]) throws {
        let n = end - start
        if m == n {
            // The old tree is this whole subtree: its hash is needed unless the verifier has it.
            if !complete { out.append(try subtreeHash(start: start, end: end, reader: reader)) }
            return
        }
        let k = largestPowerOfTwo(below: n)
        if m <= k {
            try subproof(m, start, start + k, complete, reader, &out)
            out.append(try subtreeHash(start: start + k, end: end, reader: reader))
        } else {
            try subproof(m - k, start + k, end, false, reader, &out)
            out.append(try subtreeHash(start: start, end: start + k, reader: reader))
        }
    }

    /// The largest power of two strictly smaller than n (n > 1).
    public static func largestPowerOfTwo(below n: Int64) -> Int64 {
        var k: Int64 = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}

/// Read access to stored tree hashes by storage index: all a proof or a root needs.
public protocol HashReader {
    func hashes(at indexes: [Int64]) throws -> [Hash]
}

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

// MARK: Verifying proofs (RFC 9162 2.1.3.2 and 2.1.4.2)

extension Merkle {
    /// Checks that `leaf` is leaf `index` of the tree of `size` leaves whose root is `root`.
    /// The proof runs up the tree: a sibling is on the left when the index is odd, or when the
    /// node is the last at its level (the right edge, where levels are shorter).
    public static func verifyInclusion(leaf: Hash, index: Int64, size: Int64, proof: [Hash], root: Hash) -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index, sn = size - 1
        var r = leaf
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// Checks that the tree of `new` leaves with root `newRoot` extends the tree of `old` leaves
    /// with root `oldRoot`. Policy (shared with transparency-dev): equal sizes need an empty proof
    /// and equal roots; an old size of 0 is refused, since the empty tree proves nothing.
    public static func verifyConsistency(old: Int64, new: Int64, oldRoot: Hash, newRoot: Hash, proof: [Hash]) -> Bool {
        guard old > 0, old <= new else { return false }
        if old == new { return proof.isEmpty && oldRoot == newRoot }
        var path = proof
        // When the old tree is a complete subtree, its root is the proof's implicit first node.
        if old & (old - 1) == 0 { path.insert(oldRoot, at: 0) }
        guard let first = path.first else { return false }
        var fn = old - 1, sn = new - 1
        while fn & 1 == 1 { fn >>= 1; sn >>= 1 }
        var fr = first, sr = first
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == oldRoot && sr == newRoot && sn == 0
    }
}
