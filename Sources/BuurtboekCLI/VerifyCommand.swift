import ArgumentParser
import JSON
import Audit
import Ledger

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
        let ledger = try self.ledger.open()
        if let checkpoint {
            guard let publicKey else { throw CLIError("--checkpoint needs --public-key FILE, the key the checkpoint was signed with") }
            let verifier: NoteVerifier
            do { verifier = try NoteVerifier(vkey: try KeyFiles.read(publicKey)) } catch let error as CLIError { throw error } catch {
                throw CLIError("\(publicKey): \(error)", code: ExitStatus.storage)
            }
            let (kept, size, proofLength) = try Checkpoints.verify(ledger, note: try KeyFiles.read(checkpoint), verifier: verifier)
            if output.json {
                print(JSONWriter.ordered(.object(JSONObject([("consistent", .bool(true)), ("size", .int(Int64(size))), ("checkpointSize", .int(Int64(kept.size))),
                                                             ("origin", .string(kept.origin)), ("proofHashes", .int(Int64(proofLength)))]))))
                return
            }
            print("consistent: the log of \(Terminal.count(size)) events extends checkpoint \(kept.size) of \(kept.origin) (signature valid, consistency proof of \(proofLength) hashes)")
            return
        }
        let started = Clock.nowMicros()
        let progress = Terminal.stderrIsTerminal
        let report = try ledger.verify { done in
            if progress { Terminal.writeProgress("verified \(Terminal.count(done)) events") }
        }
        if progress { Terminal.writeProgress("") }
        let seconds = Double(Clock.nowMicros() - started) / 1e6
        if output.json {
            print(JSONWriter.ordered(.object(JSONObject([("verified", .bool(true)), ("events", .int(Int64(report.size))), ("root", .string(report.root.hex)),
                                                         ("streamsWithStates", .int(Int64(report.streamsWithStates))), ("streamsUnchecked", .int(Int64(report.unchecked))),
                                                         ("seconds", .double((seconds * 1000).rounded() / 1000))]))))
            return
        }
        let unchecked = report.unchecked > 0 ? " (\(Terminal.count(report.unchecked)) left unchecked: their lifecycles read sealed fields)" : ""
        print("verified \(Terminal.count(report.size)) events in \(Terminal.twoDecimals(seconds)) s: every leaf and tree hash matches, indexes consistent, lifecycle states of \(Terminal.count(report.streamsWithStates)) streams consistent\(unchecked)")
        print("tree size \(report.size), root \(report.root.hex)")
    }
}
