import JSON
import Ledger
import Merkle
import TextFormats

/// A C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the origin line, the tree size in
/// decimal, the root hash in base64, each ending in a newline; signed as a note.
public struct Checkpoint: Sendable, Equatable {
    public let origin: String
    public let size: Int64
    public let root: Hash

    public init(origin: String, size: Int64, root: Hash) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    public var text: String { "\(origin)\n\(size)\n\(Base64.encode(root.bytes))\n" }

    public init(text: String) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 4, !lines[0].isEmpty, let size = Int64(lines[1]), size >= 0,
              let rootBytes = Base64.decode(lines[2]), let root = Hash(bytes: rootBytes) else {
            throw SignedNote.Failure(message: "not a tlog checkpoint (origin, size, base64 root hash)")
        }
        self.init(origin: lines[0], size: size, root: root)
    }
}

/// Signs checkpoints of a ledger, never two that disagree.
public enum Checkpoints {
    public enum Outcome {
        case signed(note: String, checkpoint: Checkpoint, provenFrom: Int64?)
        case unchanged(note: String, checkpoint: Checkpoint)
    }

    /// Signs the current tree. Before signing, proves it consistent with the previous checkpoint
    /// (an RFC 9162 consistency proof from the stored hashes, checked against the previous
    /// checkpoint's root), and refuses when it is not: the log was rewritten.
    public static func create(_ ledger: Ledger, signer: NoteSigner) throws -> Outcome {
        let (size, root, previous, proof): (Int64, Hash, (Int64, String)?, [Hash]) = try ledger.read { s in
            let size = Int64(try s.size())
            let previous = try s.checkpoints().last.map { (Int64($0.size), $0.note) }
            var proof: [Hash] = []
            if let (old, _) = previous, old > 0, old < size {
                proof = try Merkle.consistencyProof(old: old, new: size, reader: s.hashReader)
            }
            return (size, try s.root(size: UInt64(size)), previous, proof)
        }
        guard size > 0 else { throw LedgerError(.refused, "the log is empty: there is nothing to sign") }
        if let (_, note) = previous {
            let last = try Checkpoint(text: try SignedNote.split(note).text)
            guard last.size <= size else {
                throw LedgerError(.integrity, "the log holds \(size) events but checkpoint \(last.size) was signed: it was truncated")
            }
            if last.size == size {
                guard last.root == root else {
                    throw LedgerError(.integrity, "the tree of size \(size) no longer has the root of checkpoint \(size): history was rewritten")
                }
                return .unchanged(note: note, checkpoint: last)
            }
            guard Merkle.verifyConsistency(old: last.size, new: size, oldRoot: last.root, newRoot: root, proof: proof) else {
                throw LedgerError(.integrity, "the log is not consistent with checkpoint \(last.size): history was rewritten; refusing to sign")
            }
        }
        let checkpoint = Checkpoint(origin: signer.name, size: size, root: root)
        let note = try signer.sign(checkpoint.text)
        try ledger.storeCheckpoint(size: UInt64(size), note: note, verifierKey: signer.vkey)
        return .signed(note: note, checkpoint: checkpoint, provenFrom: previous?.0)
    }

    /// Checks that today's ledger extends a checkpoint an auditor kept: the signature, then a
    /// consistency proof from its size to the current one. O(log n) reads, no rescan.
    public static func verify(_ ledger: Ledger, note: String, verifier: NoteVerifier) throws -> (checkpoint: Checkpoint, size: Int64, proofLength: Int) {
        try ledger.read { s in
            try verify(note: note, verifier: verifier, logSize: Int64(try s.size())) { old, new in
                (try s.root(size: UInt64(new)), old == new ? [] : try Merkle.consistencyProof(old: old, new: new, reader: s.hashReader))
            }
        }
    }

    /// The check itself, with the log's size and its proofs from wherever they come: the
    /// ledger here, or a team server the auditor need not trust (`verify --checkpoint` through
    /// the server), since the proof is checked here against the root the auditor signed for.
    /// `consistency(old, new)` answers the root of the tree of `new` events and the proof.
    public static func verify(note: String, verifier: NoteVerifier, logSize size: Int64,
                              consistency: (Int64, Int64) throws -> (root: Hash, proof: [Hash])) throws -> (checkpoint: Checkpoint, size: Int64, proofLength: Int) {
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint(text: try verifier.verify(note)) } catch let error as SignedNote.Failure {
            throw LedgerError(.integrity, "checkpoint: \(error.message)")
        }
        guard checkpoint.size <= size else {
            throw LedgerError(.integrity, "the checkpoint is for \(checkpoint.size) events but the log holds \(size): it was truncated")
        }
        guard checkpoint.size > 0 else { return (checkpoint, size, 0) }
        let (root, proof) = try consistency(checkpoint.size, size)
        guard Merkle.verifyConsistency(old: checkpoint.size, new: size, oldRoot: checkpoint.root, newRoot: root, proof: proof) else {
            throw LedgerError(.integrity, "the log is not consistent with the checkpoint of size \(checkpoint.size): history was rewritten")
        }
        return (checkpoint, size, proof.count)
    }

    /// The stored checkpoints, oldest first, as `checkpoint list --format json` gives them.
    public static func list(_ snapshot: LedgerSnapshot) throws -> [JSONValue] {
        try snapshot.checkpoints().map { _, note in
            let (text, signatures) = try SignedNote.split(note)
            let c = try Checkpoint(text: text)
            return .object(JSONObject([("size", .int(Int64(c.size))), ("root", .string(c.root.hex)), ("origin", .string(c.origin)),
                                       ("signedBy", .array(signatures.map { .string($0.name) }))]))
        }
    }
}
