/// Proofs over the tree (RFC 9162 2.1.3 and 2.1.4): building them from stored hashes, and
/// checking them with nothing but the hashes (2.1.3.2 and 2.1.4.2).
extension Merkle {
    /// PATH(m, D[start:end)): the sibling hashes from leaf `leaf` up to the root of that range,
    /// nearest the leaf first.
    public static func inclusionProof(leaf: Int64, size: Int64, reader: some HashReader) throws -> [Hash] {
        guard leaf >= 0 && leaf < size else { throw MerkleError.outOfRange("leaf \(leaf) of a tree of \(size) leaves") }
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
        guard 0 < m && m <= n else { throw MerkleError.outOfRange("a consistency proof from \(m) to \(n) leaves") }
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
}

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
