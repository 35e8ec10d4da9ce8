import JSON
import Ledger
import Merkle

/// RFC 9162 proofs from the stored tree, as `prove --format json` and the server's
/// /v1/proofs/* give them. Policy for the edge cases: a position must lie within the tree; a
/// consistency proof needs 1 <= old <= new <= the log's size (from the empty tree nothing can
/// be proven); old = new gives the empty proof. Leaf index = position - 1.
public enum Proofs {
    /// The audit path of the event at `position` in the tree of `size` events (default: all).
    public static func inclusion(position: Int64, size: Int64?, snapshot s: LedgerSnapshot) throws -> JSONObject {
        let logSize = Int64(try s.size())
        let treeSize = size ?? logSize
        guard treeSize <= logSize else { throw LedgerError(.refused, "--size \(treeSize) is beyond the log's \(logSize) events") }
        guard position >= 1, position <= treeSize else {
            throw LedgerError(.refused, "position \(position) is not within a tree of size \(treeSize)")
        }
        let proof = try Merkle.inclusionProof(leaf: position - 1, size: treeSize, reader: s.hashReader)
        var object = JSONObject()
        object["position"] = .int(position)
        object["leafIndex"] = .int(position - 1)
        object["treeSize"] = .int(treeSize)
        object["leafHash"] = .string(try s.leafHash(at: UInt64(position)).hex)
        object["root"] = .string(try s.root(size: UInt64(treeSize)).hex)
        object["proof"] = .array(proof.map { .string($0.hex) })
        return object
    }

    /// The proof that the tree of `new` events (default: all) extends the tree of `old`.
    public static func consistency(old: Int64, new: Int64?, snapshot s: LedgerSnapshot) throws -> JSONObject {
        let logSize = Int64(try s.size())
        let new = new ?? logSize
        guard old >= 1 else { throw LedgerError(.refused, "a consistency proof from size \(old) proves nothing; OLD must be at least 1") }
        guard old <= new else { throw LedgerError(.refused, "OLD (\(old)) must not exceed NEW (\(new))") }
        guard new <= logSize else { throw LedgerError(.refused, "\(new) is beyond the log's \(logSize) events") }
        let proof = old == new ? [] : try Merkle.consistencyProof(old: old, new: new, reader: s.hashReader)
        var object = JSONObject()
        object["oldSize"] = .int(old)
        object["newSize"] = .int(new)
        object["oldRoot"] = .string(try s.root(size: UInt64(old)).hex)
        object["newRoot"] = .string(try s.root(size: UInt64(new)).hex)
        object["proof"] = .array(proof.map { .string($0.hex) })
        return object
    }

    /// The hashes of a proof's JSON, or nil when one is not 64 hex digits.
    public static func hashes(_ value: JSONValue?) -> [Hash]? {
        guard let items = value?.array else { return nil }
        var hashes: [Hash] = []
        for item in items {
            guard let hex = item.string, let hash = Hash(hex: hex) else { return nil }
            hashes.append(hash)
        }
        return hashes
    }
}
