#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Ledger

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write events as JSON Lines, losslessly.",
        discussion: Help.page("""
        Each line has the import keys plus position, streamVersion, recordedAt and leafHash.
        `buurtboek import --restore` turns an export back into the same log: the same
        positions, leaf hashes and tree root.

        EXAMPLES
          buurtboek export > ledger.jsonl
          buurtboek export --from 1001 --to 2000 --out slice.jsonl
        """))

    @Option(help: ArgumentHelp("First position.", valueName: "pos")) var from: UInt64 = 1
    @Option(help: ArgumentHelp("Last position.", valueName: "pos")) var to: UInt64?
    @Option(help: ArgumentHelp("jsonl (the only format).", valueName: "format")) var format: Format = .jsonl
    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var out: String?
    @OptionGroup var ledger: LedgerOptions

    enum Format: String, Choice { case jsonl }

    func run() throws {
        let ledger = try self.ledger.open()
        var fd: Int32 = 1
        if let out {
            fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            guard fd >= 0 else { throw CLIError("cannot write \(out): \(String(cString: strerror(errno)))", code: ExitStatus.storage) }
        }
        var output = OutputBuffer(fd: fd)
        try ledger.read { snapshot in
            try snapshot.scan(from: from, to: to ?? .max) { position, record in
                let leaf = try snapshot.leafHash(at: position)
                output.append { EventJSON.write(position: position, record: record, leafHash: leaf, into: &$0); $0.append(10) }
                return true
            }
        }
        output.flush()
        if fd != 1 { close(fd) }
    }
}
