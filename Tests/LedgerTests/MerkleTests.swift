import Foundation
import XCTest
@testable import Ledger

/// Stored hashes in memory, filled the way the ledger fills LMDB.
final class MemoryTree: HashReader {
    var stored: [Int64: Hash] = [:]
    var frontier = TreeFrontier.empty

    init(leaves: [[UInt8]]) {
        for leaf in leaves { append(Merkle.leafHash(leaf)) }
    }

    func append(_ leaf: Hash) {
        frontier.append(leaf: leaf) { index, hash in stored[index] = hash }
    }

    func hashes(at indexes: [Int64]) throws -> [Hash] {
        try indexes.map { guard let h = stored[$0] else { throw LedgerError(.integrity, "no hash \($0)") }; return h }
    }
}

/// RFC 9162 MTH computed straight from its definition, as an independent reference.
func referenceRoot(_ leaves: ArraySlice<Hash>) -> Hash {
    if leaves.isEmpty { return .empty }
    if leaves.count == 1 { return leaves.first! }
    var k = 1
    while k << 1 < leaves.count { k <<= 1 }
    let start = leaves.startIndex
    return Merkle.nodeHash(referenceRoot(leaves[start..<start + k]), referenceRoot(leaves[(start + k)...]))
}

struct Vectors: Decodable {
    struct Subtree: Decodable { let level: Int; let index: Int64; let hash: String }
    struct Inclusion: Decodable { let index: Int64; let size: Int64; let proof: [String] }
    struct Consistency: Decodable { let size1: Int64; let size2: Int64; let proof: [String] }
    struct Expanded: Decodable {
        let roots: [String: String]
        let inclusion: [Inclusion]
        let consistency: [Consistency]
    }
    let leaves_hex: [String]
    let leaf_hashes: [String]
    let roots: [String: String]
    let complete_subtree_hashes: [Subtree]
    let inclusion: [Inclusion]
    let consistency: [Consistency]
    let expanded_from_accumulated: Expanded

    static func load() throws -> Vectors {
        let url = Bundle.module.url(forResource: "merkle-vectors", withExtension: "json", subdirectory: "Fixtures")!
        return try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }
}

func bytes(hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = hex.startIndex
    while i < hex.endIndex {
        let j = hex.index(i, offsetBy: 2)
        out.append(UInt8(hex[i..<j], radix: 16)!)
        i = j
    }
    return out
}

final class MerkleTests: XCTestCase {
    func testLeafHashesAndRootsMatchRFC6962Vectors() throws {
        let v = try Vectors.load()
        let leaves = v.leaves_hex.map { bytes(hex: $0) }
        for (leaf, expected) in zip(leaves, v.leaf_hashes) {
            XCTAssertEqual(Merkle.leafHash(leaf).hex, expected)
        }
        for (size, expected) in v.roots {
            let n = Int(size)!
            let tree = MemoryTree(leaves: Array(leaves.prefix(n)))
            XCTAssertEqual(try Merkle.root(size: Int64(n), reader: tree).hex, expected, "root of size \(n)")
            XCTAssertEqual(tree.frontier.root.hex, expected, "frontier root of size \(n)")
        }
    }

    func testStoredCompleteSubtreesAreWhereTheStorageIndexSays() throws {
        let v = try Vectors.load()
        let tree = MemoryTree(leaves: v.leaves_hex.map { bytes(hex: $0) })
        XCTAssertEqual(Int64(tree.stored.count), Merkle.storedCount(size: 8))
        for s in v.complete_subtree_hashes {
            XCTAssertEqual(tree.stored[Merkle.storageIndex(level: s.level, index: s.index)]?.hex, s.hash, "subtree \(s.level)/\(s.index)")
        }
    }

    func testStorageIndexIsDenseAndInAppendOrder() {
        // Every index from 0 up is used exactly once, in the order an appending tree writes them.
        let tree = MemoryTree(leaves: (0..<1000).map { [UInt8(truncatingIfNeeded: $0), UInt8($0 >> 8)] })
        XCTAssertEqual(Set(tree.stored.keys), Set(0..<Merkle.storedCount(size: 1000)))
        for n in 0..<1000 as Range<Int64> {
            XCTAssertEqual(Merkle.storageIndex(level: 0, index: n), Merkle.storedCount(size: n))
        }
    }

    func testRootsOfEveryPrefixMatchTheDefinition() throws {
        let leaves = (0..<130).map { [UInt8($0)] }
        let hashes = leaves.map { Merkle.leafHash($0) }
        let tree = MemoryTree(leaves: leaves)
        let v = try Vectors.load()
        for n in 0...130 {
            let root = try Merkle.root(size: Int64(n), reader: tree)
            XCTAssertEqual(root, referenceRoot(hashes[0..<n]), "size \(n)")
            if let expected = v.expanded_from_accumulated.roots[String(n)] { XCTAssertEqual(root.hex, expected, "vector root \(n)") }
        }
    }

    func testInclusionAndConsistencyProofsMatchVectors() throws {
        let v = try Vectors.load()
        let eight = MemoryTree(leaves: v.leaves_hex.map { bytes(hex: $0) })
        for p in v.inclusion {
            XCTAssertEqual(try Merkle.inclusionProof(leaf: p.index, size: p.size, reader: eight).map(\.hex), p.proof, "inclusion \(p.index) in \(p.size)")
        }
        for p in v.consistency {
            XCTAssertEqual(try Merkle.consistencyProof(old: p.size1, new: p.size2, reader: eight).map(\.hex), p.proof, "consistency \(p.size1)->\(p.size2)")
        }
        let bytesTree = MemoryTree(leaves: (0..<130).map { [UInt8($0)] })
        for p in v.expanded_from_accumulated.inclusion {
            XCTAssertEqual(try Merkle.inclusionProof(leaf: p.index, size: p.size, reader: bytesTree).map(\.hex), p.proof)
        }
        for p in v.expanded_from_accumulated.consistency {
            XCTAssertEqual(try Merkle.consistencyProof(old: p.size1, new: p.size2, reader: bytesTree).map(\.hex), p.proof)
        }
    }

    func testAChangedLeafChangesTheRoot() throws {
        var leaves = (0..<37).map { [UInt8($0)] }
        let before = MemoryTree(leaves: leaves).frontier.root
        leaves[20] = [99]
        XCTAssertNotEqual(MemoryTree(leaves: leaves).frontier.root, before)
    }
}
