import ArgumentParser
import Ledger

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the whole ledger against its Merkle tree and indexes.",
        discussion: """
        Recomputes every leaf hash from the stored record bytes and every stored tree hash from
        the leaves, and checks the id, stream, type and day indexes against the log. On a
        mismatch it names the first position that does not match and exits with 6.

        EXAMPLES
          buurtboek verify
        """)

    @OptionGroup var ledger: LedgerOptions

    func run() throws {
        let ledger = try self.ledger.open()
        let started = Clock.nowMicros()
        let progress = Terminal.stderrIsTerminal
        let report = try ledger.verify { done in
            if progress { Terminal.writeProgress("verified \(Terminal.count(done)) events") }
        }
        if progress { Terminal.writeProgress("") }
        let seconds = Double(Clock.nowMicros() - started) / 1e6
        print("verified \(Terminal.count(report.size)) events in \(Terminal.seconds(seconds)) s: every leaf and tree hash matches, indexes consistent")
        print("tree size \(report.size), root \(report.root.hex)")
    }
}
