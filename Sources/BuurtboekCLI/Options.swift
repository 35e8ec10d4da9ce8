import ArgumentParser
import Catalogue
import JSON
import Ledger
import Privacy
import Projections
import Remote
#if canImport(Glibc)
import Glibc
import TextFormats
#endif

/// Where the ledger is: --ledger, else $BUURTBOEK_LEDGER, else ./buurtboek.ledger. A URL
/// (https://HOST:PORT) names a team server; the token comes from $BUURTBOEK_TOKEN or --token-file.
struct LedgerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The ledger directory, or a team server's https://HOST:PORT (default: $BUURTBOEK_LEDGER, else ./buurtboek.ledger).", valueName: "dir|url"))
    var ledger: String?
    @Option(name: .customLong("token-file"), help: ArgumentHelp("With a server: the file holding your token, mode 0600 (default: $BUURTBOEK_TOKEN).", valueName: "file"))
    var tokenFile: String?
    @Option(name: .customLong("ca-cert"), help: ArgumentHelp("With a server: the PEM certificate of its private CA, or its self-signed certificate.", valueName: "file"))
    var caCert: String?

    var path: String { ledger ?? Environment.value("BUURTBOEK_LEDGER") ?? "buurtboek.ledger" }

    var isRemote: Bool { path.hasPrefix("https://") || path.hasPrefix("http://") }

    func open() throws -> Ledger {
        try refuseRemote()
        return try Ledger.open(at: path)
    }

    /// Opens the ledger with a sealer for the master key, if one is given (nil without).
    func open(unlocking masterKey: MasterKeyOption) throws -> (ledger: Ledger, sealer: Sealer?) {
        try refuseRemote()
        let sealer = try masterKey.sealer(forLedgerAt: path)
        return (try Ledger.open(at: path, sealer: sealer), sealer)
    }

    /// As `open(unlocking:)` for a command that cannot do without the master key: `what` names
    /// what needs it.
    func open(requiring masterKey: MasterKeyOption, for what: String) throws -> (ledger: Ledger, sealer: Sealer) {
        let (ledger, sealer) = try open(unlocking: masterKey)
        guard let sealer else {
            throw CLIError("\(what) needs the master key: pass --master-key FILE or set $BUURTBOEK_MASTER_KEY_FILE", code: ExitStatus.refused)
        }
        return (ledger, sealer)
    }

    private func refuseRemote() throws {
        if isRemote {
            throw CLIError("\(path) is a team server; this command works on a ledger directory only (run it on the server's machine, with --ledger DIR)", code: ExitStatus.usage)
        }
    }

    /// The team server --ledger names, or nil for a local ledger.
    func remote() throws -> RemoteLedger? {
        guard isRemote else { return nil }
        guard let transport = Network.transport else { try Network.handOver() }
        do {
            return try RemoteLedger(url: path, token: try token(), caCertificate: caCert ?? Environment.value("BUURTBOEK_CA_CERT"), transport: transport)
        } catch let error as RemoteError {
            throw CLIError(error.message, code: ExitStatus.usage)
        }
    }

    private func token() throws -> String? {
        guard let tokenFile else { return Environment.value("BUURTBOEK_TOKEN") }
        var info = stat()
        guard stat(tokenFile, &info) == 0, let bytes = FileBytes.read(tokenFile) else {
            throw CLIError("--token-file \(tokenFile): cannot read it", code: ExitStatus.storage)
        }
        guard info.st_mode & 0o077 == 0 else {
            throw CLIError("--token-file \(tokenFile) is readable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(tokenFile)", code: ExitStatus.notAllowed)
        }
        return String(decoding: bytes, as: UTF8.self).trimmingWhitespace
    }
}

/// The master key: --master-key, else $BUURTBOEK_MASTER_KEY_FILE. Needed to record, show or
/// erase personal (I and S) fields; everything else works without it.
struct MasterKeyOption: ParsableArguments {
    @Option(name: .customLong("master-key"), help: ArgumentHelp("The master key file (default: $BUURTBOEK_MASTER_KEY_FILE).", valueName: "file"))
    var file: String?

    var path: String? { file ?? Environment.value("BUURTBOEK_MASTER_KEY_FILE") }

    /// A sealer for the ledger at `path`, nil without a master key. The key file is checked
    /// now (a loose one is refused at once); the key store is opened when first needed.
    func sealer(forLedgerAt path: String) throws -> Sealer? {
        guard let file = self.path else { return nil }
        _ = try MasterKey.load(from: file)
        return Sealer(ledgerPath: path, masterKeyPath: file)
    }
}

extension OpeningRecorder {
    /// Records every resident whose data `projectors` opened, as "projection:NAME", with the
    /// command line (and the worker who gave it) as the reason.
    func recordOpenings(_ projectors: [any Projector.Type], worker: String?) throws {
        guard let reader = Projection.reader(of: projectors) else { return }
        let command = CommandLine.arguments.dropFirst().joined(separator: " ") + (worker.map { " (by \($0))" } ?? "")
        try record(by: reader, command: command)
    }
}

/// Who records: --by, else $BUURTBOEK_WORKER.
struct WorkerOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The worker who records (default: $BUURTBOEK_WORKER).", valueName: "worker"))
    var by: String?

    var worker: String? { by ?? Environment.value("BUURTBOEK_WORKER") }
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        let value = String(cString: raw)
        return value.isEmpty ? nil : value
    }
}

/// Finds the schema directory: --schemas, $BUURTBOEK_SCHEMAS, the catalogue installed beside
/// the executable (`Tools/install`: PREFIX/bin/buurtboek and PREFIX/share/buurtboek/Schemas),
/// or a Schemas/ folder above it (which is where a build from the source tree finds them).
/// A relative path is taken from the working directory and named in full in messages.
enum SchemaLocation {
    static func resolve(_ given: String?) throws -> String {
        if let given = given ?? Environment.value("BUURTBOEK_SCHEMAS") { return absolute(given) }
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 {
            var dir = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let slash = dir.lastIndex(of: "/") {
                let installed = String(dir[..<slash]) + "/../share/buurtboek/Schemas"
                if access(installed + "/catalogue.json", R_OK) == 0 { return absolute(installed) }
            }
            while let slash = dir.lastIndex(of: "/"), !dir.isEmpty {
                dir = String(dir[..<slash])
                if access(dir + "/Schemas/catalogue.json", R_OK) == 0 { return dir + "/Schemas" }
            }
        }
        throw CLIError("cannot find the schema directory: pass --schemas DIR or set $BUURTBOEK_SCHEMAS (an installed buurtboek has it in PREFIX/share/buurtboek/Schemas; see Tools/install)", code: ExitStatus.storage)
    }

    /// `path` from the root: relative to the working directory, `..` and symlinks resolved.
    static func absolute(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func loadCatalogue(_ given: String?) throws -> Catalogue {
        let directory = try resolve(given)
        guard access(directory + "/catalogue.json", F_OK) == 0 else {
            throw CLIError("\(directory) holds no catalogue.json: pass the schema directory (--schemas DIR), e.g. the Schemas/ of a Buurtboek clone", code: ExitStatus.storage)
        }
        do { return try Catalogue.load(directory: directory) } catch {
            throw CLIError("the catalogue in \(directory) cannot be used: \(error)", code: ExitStatus.refused)
        }
    }
}

/// Dates on the command line: a day (2024-03-01) or an RFC 3339 date-time.
enum DateArgument {
    static func micros(_ text: String, option: String) throws -> Int64 {
        guard let value = RFC3339.parse(text) else {
            throw CLIError("\(option) \(text): not a date (2024-03-01) or date-time (2024-03-01T09:00:00Z)")
        }
        return value
    }
}
