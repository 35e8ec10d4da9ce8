import ArgumentParser
import JSON
import Audit
import Ledger
import Remote
import Merkle

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the whole ledger against its Merkle tree and indexes.",
        discussion: Help.page("""
        Recomputes every leaf hash from the stored record bytes and every stored tree hash from
        the leaves, and checks the id, stream, type, day, resident-stream and erasure indexes
        against the log. It replays every event through its lifecycles (under the catalogue in
        force at its position) and checks that each stream's head holds the states its events
        lead to. On a mismatch it names the position or stream that does not match and exits
        with 6.

        With --checkpoint, checks instead that the log extends a checkpoint kept from an earlier
        visit: its signature, then an RFC 9162 consistency proof from its size to today's.

        EXAMPLES
          buurtboek verify
          buurtboek verify --checkpoint checkpoint-2024-06.txt --public-key noord.pub
        """))

    @Option(help: ArgumentHelp("A checkpoint kept from an earlier audit: check that the log extends it (a consistency proof, no rescan).", valueName: "file"))
    var checkpoint: String?
    @Option(name: .customLong("public-key"), help: ArgumentHelp("The verifier key (NAME+HASH+KEY file) that signed the checkpoint.", valueName: "file"))
    var publicKey: String?
    @OptionGroup var output: FactsFormat
    @OptionGroup var ledger: LedgerOptions

    func run() throws {
        let remote = try ledger.remote()
        if let checkpoint { return try verifyCheckpoint(checkpoint, remote: remote) }
        if let remote { return try runRemote(remote) }
        let ledger = try self.ledger.open()
        let progress = Terminal.stderrIsTerminal
        let facts = try ledger.verificationFacts { done in
            if progress { Terminal.writeProgress("verified \(Terminal.count(done)) events") }
        }
        if progress { Terminal.writeProgress("") }
        try show(facts)
    }

    /// The checkpoint's signature is checked here, with the auditor's copy of the verifier key;
    /// the consistency proof comes from the ledger or from the team server, and is checked here
    /// too against the root the checkpoint signed: a server that rewrote history cannot make it pass.
    private func verifyCheckpoint(_ checkpoint: String, remote: RemoteLedger?) throws {
        guard let publicKey else { throw CLIError("--checkpoint needs --public-key FILE, the key the checkpoint was signed with") }
        let verifier: NoteVerifier
        do { verifier = try NoteVerifier(vkey: try KeyFiles.read(publicKey)) } catch let error as CLIError { throw error } catch {
            throw CLIError("\(publicKey): \(error)", code: ExitStatus.storage)
        }
        let note = try KeyFiles.read(checkpoint)
        let (kept, size, proofLength): (Checkpoint, Int64, Int)
        if let remote {
            let logSize = try remote.getJSON("/v1/health")["events"]?.int ?? 0
            (kept, size, proofLength) = try Checkpoints.verify(note: note, verifier: verifier, logSize: logSize) { old, new in
                let answer = try remote.getJSON("/v1/proofs/consistency?old=\(old)&new=\(new)")
                guard let root = answer["newRoot"]?.string.flatMap(Hash.init(hex:)), let proof = Proofs.hashes(answer["proof"]) else {
                    throw CLIError("\(remote.url): the consistency proof is malformed", code: ExitStatus.integrity)
                }
                return (root, proof)
            }
        } else {
            (kept, size, proofLength) = try Checkpoints.verify(try ledger.open(), note: note, verifier: verifier)
        }
        if output.json {
            print(JSONWriter.ordered(.object(JSONObject([("consistent", .bool(true)), ("size", .int(Int64(size))), ("checkpointSize", .int(Int64(kept.size))),
                                                         ("origin", .string(kept.origin)), ("proofHashes", .int(Int64(proofLength)))]))))
            return
        }
        print("consistent: the log of \(Terminal.count(size)) events extends checkpoint \(kept.size) of \(kept.origin) (signature valid, consistency proof of \(proofLength) hashes)")
    }

    /// From a team server (an auditor's or admin's token): the server verifies its ledger and
    /// answers with the facts; a failed check is exit 6, as locally. The tree root it names is
    /// the one to compare with a checkpoint kept from an earlier visit.
    private func runRemote(_ remote: RemoteLedger) throws {
        if Terminal.stderrIsTerminal { Terminal.writeProgress("verifying at \(remote.url)") }
        let facts = try remote.getJSON("/v1/verify").object ?? JSONObject()
        if Terminal.stderrIsTerminal { Terminal.writeProgress("") }
        try show(facts)
    }

    private func show(_ facts: JSONObject) throws {
        if output.json { print(JSONWriter.ordered(.object(facts))); return }
        func int(_ key: String) -> Int { Int(facts[key]?.int ?? 0) }
        let unchecked = int("streamsUnchecked") > 0 ? " (\(Terminal.count(int("streamsUnchecked"))) left unchecked: their lifecycles read sealed fields)" : ""
        print("verified \(Terminal.count(int("events"))) events in \(Terminal.twoDecimals(facts["seconds"]?.double ?? 0)) s: every leaf and tree hash matches, indexes consistent, lifecycle states of \(Terminal.count(int("streamsWithStates"))) streams consistent\(unchecked)")
        print("tree size \(int("events")), root \(facts["root"]?.string ?? "")")
        if int("neighbourhoodsOutsideDivision") > 0 {
            let first = facts["firstOutsideDivision"]?.array?.compactMap(\.int).map(String.init).joined(separator: ", ") ?? ""
            print("note: \(Terminal.count(int("neighbourhoodsOutsideDivision"))) events name a neighbourhood outside the division in force when they occurred (positions \(first), ...); they were restored as recorded. `buurtboek areas check` lists them")
        }
    }
}
