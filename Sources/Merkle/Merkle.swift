
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
        guard 0 <= start, start < end else { throw MerkleError.outOfRange("leaves \(start)..<\(end)") }
        let parts = completeSubtrees(start: start, end: end)
        let hashes = try reader.hashes(at: parts.map { storageIndex(level: $0.level, index: $0.index) })
        guard hashes.count == parts.count, var hash = hashes.last else {
            throw MerkleError.storage("asked for \(parts.count) stored hashes of leaves \(start)..<\(end), got \(hashes.count)")
        }
        for h in hashes.dropLast().reversed() { hash = nodeHash(h, hash) }
        return hash
    }

    /// The root of the first `size` leaves, in O(log size) reads.
    public static func root(size: Int64, reader: some HashReader) throws -> Hash {
        guard size >= 0 else { throw MerkleError.outOfRange("a tree of \(size) leaves") }
        return try subtreeHash(start: 0, end: size, reader: reader)
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

/// Why a tree function could not answer: a question outside the tree, or a store that did not
/// give the hashes asked for. Never a trap: the sizes and positions come from users.
public enum MerkleError: Error, Equatable, CustomStringConvertible {
    case outOfRange(String)
    case storage(String)

    public var description: String {
        switch self {
        case .outOfRange(let what): "\(what): outside the tree"
        case .storage(let what): "the tree's storage: \(what)"
        }
    }
}
