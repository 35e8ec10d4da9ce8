import ArgumentParser
import JSON
import Ledger
import Privacy
import Projections
import Remote
#if canImport(Glibc)
import Glibc
#endif

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Create keys: the master key for personal data, a signing key for checkpoints.",
        discussion: Help.page("""
        EXAMPLES
          buurtboek key master --out ~/.buurtboek/master.key
          buurtboek key generate --origin buurtboek.example/noord --out ~/.buurtboek/noord
        """),
        subcommands: [Master.self, GenerateKeyCommand.self])

    struct Master: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "master",
            abstract: "Create a master key file (mode 0600), which seals residents' personal data.",
            discussion: Help.page("""
            Keep it apart from the ledger and its backups: whoever has both can read personal data.
            Without it, personal fields cannot be recorded or shown; everything else works.

            EXAMPLES
              buurtboek key master --out ~/.buurtboek/master.key
              export BUURTBOEK_MASTER_KEY_FILE=~/.buurtboek/master.key
            """))

        @Option(help: ArgumentHelp("Where to write the key (never overwritten).", valueName: "file"))
        var out: String

        func run() throws {
            try KeyFiles.makeParent(of: out)
            try MasterKey.create(at: out)
            print("created master key \(out) (mode 0600)")
        }
    }
}

struct EraseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Erase a resident's personal data (GDPR article 17) by destroying their keys.",
        discussion: Help.page("""
        Appends resident.erased (which holds no personal data), then destroys the data keys of the
        resident and of every stream that named them, and compacts the key store so that no copy
        of those keys remains in any file. The log is not edited: its records, tree, checkpoints
        and proofs still verify; the resident's I and S fields read as [erased] from then on, and
        later events about the resident are refused. Running it again completes an interrupted
        erasure.

        EXAMPLES
          buurtboek erase resident R000123 --request AVG-2024-017
        """),
        subcommands: [Resident.self])

    struct Resident: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "resident", abstract: "Erase one resident.",
            discussion: Help.page("""
            The resident may have a stream of their own (resident-R000123) or be named only in
            other events' resident_id (a referral about them): either way every data key that
            sealed their fields is destroyed, with the keys of corrections to those events.

            EXAMPLES
              buurtboek erase resident R000123 --request AVG-2024-017
              buurtboek erase resident R000777 --request AVG-2024-018 \\
                  --legal-basis retention_expired
            """))

        @Argument(help: "The resident id, e.g. R000123.") var id: String
        @Option(help: ArgumentHelp("The reference of the erasure request.", valueName: "ref")) var request: String
        @Option(name: .customLong("legal-basis"), help: ArgumentHelp("gdpr_art17 or retention_expired.", valueName: "basis"))
        var legalBasis = "gdpr_art17"
        @OptionGroup var worker: WorkerOption
        @OptionGroup var ledger: LedgerOptions
        @OptionGroup var masterKey: MasterKeyOption

        func run() throws {
            let outcome: JSONValue
            if let remote = try ledger.remote() {
                let body = JSONObject([("resident", .string(id)), ("request", .string(request)), ("legalBasis", .string(legalBasis))])
                let response = try remote.send(.POST, "/v1/erasures", body: Array(JSONWriter.ordered(.object(body)).utf8))
                guard response.status == 200 else { throw RemoteError(response: response) }
                outcome = try response.json()
            } else {
                let (ledger, sealer) = try self.ledger.open(requiring: masterKey, for: "erasure")
                outcome = try ResidentErasure(ledger: ledger, sealer: sealer, erasedBy: worker.worker)
                    .erase(id, request: request, legalBasis: legalBasis) { try Projection.purgeLive(ledger: ledger.path, residentStream: $0) }.json
            }
            let destroyed = Int(outcome["keysDestroyed"]?.int ?? 0), closed = Int(outcome["streamsClosed"]?.int ?? 0)
            let purged = Int(outcome["readModelRowsRemoved"]?.int ?? 0)
            print("erased resident \(id)\(outcome["completedEarlier"]?.bool == true ? " (completing an earlier erasure)" : ""): \(destroyed) data key\(destroyed == 1 ? "" : "s") destroyed, \(closed) stream\(closed == 1 ? "" : "s") closed, \(purged) read-model row\(purged == 1 ? "" : "s") removed")
        }
    }
}

struct AccessLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access-log",
        abstract: "List who was shown personal data, when, and by which command.",
        discussion: Help.page("""
        Every read of a resident's personal fields (show with the master key) and every erasure is
        recorded in the key store, apart from the log.

        EXAMPLES
          buurtboek access-log
          buurtboek access-log --resident R000123
        """))

    @Option(help: ArgumentHelp("Only reads about this resident.", valueName: "id")) var resident: String?
    @OptionGroup var output: FactsFormat
    @OptionGroup var display: DisplayOptions
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var masterKey: MasterKeyOption

    func run() throws {
        let (ledger, sealer) = try self.ledger.open(requiring: masterKey, for: "the access record")
        var streams: Set<String> = []
        if let resident {
            streams = Set(try ledger.read { s in try s.residentStreams(resident) + (try s.correctionStreams(ofResident: resident)) + [DataKeyId.residentStream(resident)] }
                .map { "stream:" + $0 } + ["resident:" + resident])
        }
        var table = TextTable([.init("AT"), .init("BY", wraps: true), .init("SUBJECT", wraps: true), .init("COMMAND", wraps: true)])
        var list: [JSONValue] = []
        for entry in try sealer.keyStore.accessRecord() {
            let subject = entry["subject"]?.string ?? ""
            if resident != nil && !streams.contains(subject) { continue }
            list.append(entry)
            table.add([TimeText.minutes(rfc3339: entry["at"]?.string ?? "", utc: display.utc), entry["by"]?.string ?? "", subject, entry["command"]?.string ?? ""])
        }
        if output.json { print(JSONWriter.ordered(.array(list))) } else { print(table.render(width: display.width), terminator: "") }
    }
}
