import ArgumentParser
import Audit
import JSON
import Ledger
import Remote
#if canImport(Glibc)
import Glibc
#endif

/// Key files: the signer key must be private to its owner, as ssh requires.
enum KeyFiles {
    static func readPrivate(_ path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CLIError("cannot read the key \(path): \(String(cString: strerror(errno)))", code: ExitStatus.storage) }
        guard info.st_mode & 0o077 == 0 else {
            throw CLIError("the private key \(path) is readable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(path)", code: ExitStatus.storage)
        }
        return try read(path)
    }

    static func read(_ path: String) throws -> String {
        guard let bytes = FileBytes.read(path) else { throw CLIError("cannot read \(path)", code: ExitStatus.storage) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Makes the directories leading to `path` that do not exist yet, each mode 0700 (as
    /// `mkdir -p -m 700`): `key master --out ~/.buurtboek/master.key` on a new machine.
    static func makeParent(of path: String) throws {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        guard !parts.isEmpty else { return }
        var dir = path.hasPrefix("/") ? "" : "."
        if parts.first == "" { parts = parts.dropFirst() }
        for part in parts where !part.isEmpty {
            dir += "/" + part
            if access(dir, F_OK) == 0 { continue }
            guard mkdir(dir, 0o700) == 0 || errno == EEXIST else {
                throw CLIError("cannot create the directory \(dir): \(String(cString: strerror(errno)))", code: ExitStatus.storage)
            }
        }
    }

    static func write(_ path: String, _ text: String, mode: mode_t) throws {
        try makeParent(of: path)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else { throw CLIError("cannot create \(path): \(String(cString: strerror(errno)))", code: ExitStatus.storage) }
        defer { close(fd) }
        fchmod(fd, mode)   // the process's umask is 077; a verifier key is for others to read
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == bytes.count, fsync(fd) == 0 else {
            throw CLIError("cannot write \(path)", code: ExitStatus.storage)
        }
    }
}

struct GenerateKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Create an Ed25519 key pair for signing checkpoints.",
        discussion: Help.page("""
        Writes PREFIX.key (the signer key, mode 0600) and PREFIX.pub (the C2SP verifier key,
        NAME+HASH+KEY, to hand to auditors).

        EXAMPLES
          buurtboek key generate --origin buurtboek.example/noord --out ~/.buurtboek/noord
        """))

    @Option(help: ArgumentHelp("The log's origin: the key name and the checkpoints' first line.", valueName: "name")) var origin: String
    @Option(help: ArgumentHelp("Path prefix for PREFIX.key and PREFIX.pub.", valueName: "prefix")) var out: String = "checkpoint"

    func run() throws {
        let signer: NoteSigner
        do { signer = try NoteSigner.generate(name: origin) } catch { throw CLIError("--origin: \(error)") }
        try KeyFiles.write(out + ".key", signer.skey + "\n", mode: 0o600)
        try KeyFiles.write(out + ".pub", signer.vkey + "\n", mode: 0o644)
        print("created \(out).key (signer, mode 0600) and \(out).pub (verifier: \(signer.vkey))")
    }
}

struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Sign, list or show checkpoints of the log (C2SP tlog-checkpoint notes).",
        discussion: Help.page("""
        A checkpoint is the log's origin, its size and its Merkle root, signed. Before signing, the
        ledger proves the new tree consistent with the previous checkpoint and refuses if it is not.

        EXAMPLES
          buurtboek checkpoint --key ~/.buurtboek/noord.key > checkpoint-2024-06.txt
          buurtboek checkpoint list
          buurtboek checkpoint show 1200
        """),
        subcommands: [Sign.self, List.self, Show.self],
        defaultSubcommand: Sign.self)

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sign", abstract: "Sign the current tree.",
            discussion: Help.page("""
            Proves the current tree consistent with the last checkpoint first, and refuses to
            sign if it is not. Prints the signed note (C2SP tlog-checkpoint) to standard output.

            EXAMPLES
              buurtboek checkpoint sign --key ~/.buurtboek/noord.key
              buurtboek checkpoint --key ~/.buurtboek/noord.key > checkpoint-2024-06.txt
            """))
        @Option(help: ArgumentHelp("The signer key (default: $BUURTBOEK_CHECKPOINT_KEY).", valueName: "file")) var key: String?
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            if let remote = try ledger.remote() { return try signRemotely(remote) }
            guard let path = key ?? Environment.value("BUURTBOEK_CHECKPOINT_KEY") else {
                throw CLIError("checkpoint needs a signer key: --key FILE or $BUURTBOEK_CHECKPOINT_KEY (make one with `buurtboek key generate`)")
            }
            let signer: NoteSigner
            do { signer = try NoteSigner(skey: try KeyFiles.readPrivate(path)) } catch let error as CLIError { throw error } catch {
                throw CLIError("\(path): \(error)", code: ExitStatus.storage)
            }
            switch try Checkpoints.create(try ledger.open(), signer: signer) {
            case .signed(let note, let checkpoint, let from):
                print(note, terminator: "")
                Terminal.writeError("buurtboek: signed checkpoint \(checkpoint.size)" + (from.map { ", proven consistent with checkpoint \($0)" } ?? ""))
            case .unchanged(let note, let checkpoint):
                print(note, terminator: "")
                Terminal.writeError("buurtboek: no new events since checkpoint \(checkpoint.size); it is shown again")
            }
        }

        /// An admin asks the server to sign with the key it was started with (`serve
        /// --checkpoint-key`): the signer key never leaves the server's machine.
        private func signRemotely(_ remote: RemoteLedger) throws {
            guard key == nil else { throw CLIError("--key is for a ledger directory: a team server signs with its own key (serve --checkpoint-key)") }
            let response = try remote.send(.POST, "/v1/checkpoints")
            guard response.status == 200 || response.status == 201 else { throw RemoteError(response: response) }
            print(String(decoding: response.body, as: UTF8.self), terminator: "")
            let size = response.header("Buurtboek-Checkpoint-Size") ?? "?"
            if response.status == 201 {
                Terminal.writeError("buurtboek: signed checkpoint \(size)" + (response.header("Buurtboek-Proven-From").map { ", proven consistent with checkpoint \($0)" } ?? ""))
            } else {
                Terminal.writeError("buurtboek: no new events since checkpoint \(size); it is shown again")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the stored checkpoints.",
            discussion: Help.page("""
            EXAMPLES
              buurtboek checkpoint list
              buurtboek checkpoint list --format json
            """))
        @OptionGroup var output: FactsFormat
        @OptionGroup var display: DisplayOptions
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let list: [JSONValue]
            if let remote = try ledger.remote() {
                list = try remote.getJSON("/v1/checkpoints").array ?? []
            } else {
                list = try ledger.open().read { try Checkpoints.list($0) }
            }
            if output.json { print(JSONWriter.ordered(.array(list))); return }
            var table = TextTable([.init("SIZE", right: true), .init("ROOT", wraps: true), .init("SIGNED BY", wraps: true)])
            for c in list {
                table.add([String(c["size"]?.int ?? 0), c["root"]?.string ?? "", (c["signedBy"]?.array ?? []).compactMap(\.string).joined(separator: ", ")])
            }
            print(table.render(width: display.width), terminator: "")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the signed note of one checkpoint.",
            discussion: Help.page("""
            EXAMPLES
              buurtboek checkpoint show 1200
              buurtboek checkpoint show 1200 > checkpoint-1200.txt
            """))
        @Argument(help: "The checkpoint's tree size.") var size: UInt64
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            if let remote = try ledger.remote() {
                let response = try remote.send(.GET, "/v1/checkpoints/\(size)")
                guard response.status == 200 else { throw RemoteError(response: response) }
                print(String(decoding: response.body, as: UTF8.self), terminator: "")
                return
            }
            guard let note = try ledger.open().read({ try $0.checkpoints() }).first(where: { $0.size == size })?.note else {
                throw CLIError("no checkpoint of size \(size) (see `buurtboek checkpoint list`)", code: ExitStatus.refused)
            }
            print(note, terminator: "")
        }
    }
}

struct ProveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "RFC 9162 inclusion and consistency proofs from the stored tree.",
        discussion: Help.page("""
        Policy for the edge cases: a position must lie within the tree size; a consistency proof
        needs 1 <= OLD <= NEW (from the empty tree nothing can be proven, and is refused); OLD =
        NEW gives an empty proof. Hashes are lowercase hex; leaf index = position - 1.

        EXAMPLES
          buurtboek prove inclusion 42
          buurtboek prove inclusion 42 --size 1200 --format json
          buurtboek prove consistency 1200 5000
        """),
        subcommands: [Inclusion.self, Consistency.self])

    enum Format: String, Choice { case text, json }

    struct Inclusion: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "inclusion", abstract: "Prove that the event at a position is in the tree.",
            discussion: Help.page("""
            The proof is the RFC 9162 audit path from the event's leaf to the root of the tree
            of --size events (default: the whole log); a position outside that tree is refused.

            EXAMPLES
              buurtboek prove inclusion 42
              buurtboek prove inclusion 42 --size 1200 --format json
            """))
        @Argument(help: "The position.") var position: Int64
        @Option(help: ArgumentHelp("The tree size (default: the current size).", valueName: "n")) var size: Int64?
        @Option(help: ArgumentHelp("text or json.", valueName: "format")) var format: Format = .text
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let proof: JSONObject
            if let remote = try ledger.remote() {
                proof = try remote.getJSON("/v1/proofs/inclusion?position=\(position)" + (size.map { "&size=\($0)" } ?? "")).object ?? JSONObject()
            } else {
                proof = try ledger.open().read { try Proofs.inclusion(position: position, size: size, snapshot: $0) }
            }
            if format == .json { print(JSONWriter.ordered(.object(proof))); return }
            print("inclusion of position \(position) (leaf \(position - 1)) in the tree of size \(proof["treeSize"]?.int ?? 0)")
            print("leaf hash \(proof["leafHash"]?.string ?? "")\nroot      \(proof["root"]?.string ?? "")")
            ProveCommand.printPath(proof)
        }
    }

    struct Consistency: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "consistency", abstract: "Prove that the tree of NEW events extends the tree of OLD.",
            discussion: Help.page("""
            RFC 9162 section 2.1.4: 1 <= OLD <= NEW <= the log's size; OLD = NEW gives the empty
            proof. An auditor holding a checkpoint of OLD events checks that the log since then
            only grew.

            EXAMPLES
              buurtboek prove consistency 1200 5000
              buurtboek prove consistency 1200 5000 --format json
            """))
        @Argument(help: "The older tree size.") var old: Int64
        @Argument(help: "The newer tree size.") var new: Int64
        @Option(help: ArgumentHelp("text or json.", valueName: "format")) var format: Format = .text
        @OptionGroup var ledger: LedgerOptions

        func run() throws {
            let proof: JSONObject
            if let remote = try ledger.remote() {
                proof = try remote.getJSON("/v1/proofs/consistency?old=\(old)&new=\(new)").object ?? JSONObject()
            } else {
                proof = try ledger.open().read { try Proofs.consistency(old: old, new: new, snapshot: $0) }
            }
            if format == .json { print(JSONWriter.ordered(.object(proof))); return }
            print("consistency of the tree of size \(old) with the tree of size \(new)")
            print("old root \(proof["oldRoot"]?.string ?? "")\nnew root \(proof["newRoot"]?.string ?? "")")
            ProveCommand.printPath(proof)
        }
    }

    static func printPath(_ proof: JSONObject) {
        for (i, h) in (proof["proof"]?.array ?? []).enumerated() { print("proof[\(i)] \(h.string ?? "")") }
    }
}
