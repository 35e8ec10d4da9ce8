import ArgumentParser
import Catalogue
import JSON
import Ledger
import Privacy
import Remote
import TextFormats

struct AppendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Record one event.",
        discussion: Help.page("""
        The data is a JSON object (--data) and/or flat fields (--field key=value, repeatable; values
        are read as the type's schema says: numbers, true/false, comma-separated lists). Prints the
        position and the event id. Give --id (or --idempotent, which derives the id from the event's
        content) to make a retry safe: an event whose id is already recorded with the same content
        is reported as already recorded and not appended again.

        EXAMPLES
          buurtboek append contact.recorded --stream contact-2024-0001 --neighbourhood "Centrum Haven Noord" \\
              --field mode=home_visit --field topics=money,loneliness --field minutes=45
          buurtboek append referral.accepted --stream referral-2024-0042 --expect-version 1
          buurtboek append signal.raised --stream signal-2024-0007 --data @signal.json
          echo '{"reason":"completed","feedback_to_referrer_sent":true}' | \\
              buurtboek append referral.closed --stream referral-2024-0042 --data -
        """))

    @Argument(help: "The event type, e.g. referral.made (see `buurtboek types`).", completion: .custom(TypeNames.complete))
    var type: String
    @Option(help: ArgumentHelp("The stream (entity) the event belongs to, e.g. referral-2024-0042.", valueName: "id"))
    var stream: String
    @Option(help: ArgumentHelp("The data: a JSON object, @FILE, or - for standard input.", valueName: "json"))
    var data: String?
    @Option(name: .customLong("field"), help: ArgumentHelp("A data field, key=value (repeatable).", valueName: "key=value"))
    var fields: [String] = []
    @Option(name: .customLong("occurred-at"), help: ArgumentHelp("When it happened (RFC 3339; default: now).", valueName: "time"))
    var occurredAt: String?
    @OptionGroup var worker: WorkerOption
    @Option(help: ArgumentHelp("The neighbourhood: its code (CBS buurtcode or Statbel sector) or its name, as the register has it (see `buurtboek areas find`).", valueName: "code|name"))
    var neighbourhood: String?
    @Option(name: .customLong("expect-version"), help: ArgumentHelp("The stream version expected: any, none, exists or a number.", valueName: "version"))
    var expectVersion: String?
    @Option(help: ArgumentHelp("The event id (UUID; default: a new one).", valueName: "uuid"))
    var id: String?
    @Flag(help: "Without --id: derive the id from the event's content, as import does, so the same command run twice appends once.")
    var idempotent = false
    @Flag(help: "Record it even though the stream's last event is the same (type, data, worker) and occurred within ten minutes: it really happened twice.")
    var again = false
    @Option(name: .customLong("schema-version"), help: ArgumentHelp("The type's schema version (default: the latest).", valueName: "n"))
    var schemaVersion: Int?
    @Option(help: ArgumentHelp("A correlation id, grouping events of one piece of work.", valueName: "id"))
    var correlation: String?
    @Option(help: ArgumentHelp("The id of the event that caused this one.", valueName: "id"))
    var causation: String?
    @Option(help: ArgumentHelp("Output: text or json.", valueName: "format"))
    var format: OutputFormat = .text
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var masterKey: MasterKeyOption

    enum OutputFormat: String, Choice { case text, json }

    func validate() throws {
        if let expectVersion, ExpectedVersion(expectVersion) == nil {
            throw ValidationError("--expect-version \(expectVersion): expected any, none, exists or a stream version number")
        }
        if let id, UUIDText.parse(id) == nil { throw ValidationError("--id \(id): not a UUID") }
        if id != nil && idempotent { throw ValidationError("--idempotent derives an id; leave out --id, or --idempotent") }
    }

    func run() throws {
        if let remote = try ledger.remote() { return try runRemote(remote) }
        let (ledger, sealer) = try self.ledger.open(unlocking: masterKey)
        let preparer = EventPreparer(catalogue: ledger.catalogue, defaultWorker: worker.worker, sealer: sealer, derivesIds: idempotent,
                                     refusesDoubles: !again)
        let (line, shown) = try self.line(catalogue: ledger.catalogue, id: id)
        let event = try preparer.prepare(line: line, source: "event")
        try sealer?.persist()
        let outcome = try ledger.append([event])[0]
        if case .refused(let error) = outcome { throw error }
        report(outcome.json(id: event.id).object ?? JSONObject(), shown: shown)
    }

    /// To a team server: the event gets its id here (unless --idempotent asks the server to
    /// derive it from the content), so a retry after a lost answer is "already recorded". The
    /// server seals personal fields and records the member its token names.
    private func runRemote(_ remote: RemoteLedger) throws {
        let catalogue = try RemoteCatalogue.fetch(remote)
        let given = id ?? (idempotent ? nil : UUIDText.format(Clock.uuidV7()))
        let (line, shown) = try self.line(catalogue: catalogue, id: given)
        let path = again ? "/v1/events?again=true" : "/v1/events"
        let response = try remote.send(.POST, path, body: line + [10], contentType: "application/x-ndjson")
        let result = try response.json().object ?? JSONObject()
        guard ["appended", "already_recorded"].contains(result["status"]?.string) else { throw RemoteError(response: response) }
        report(result, shown: shown)
    }

    /// The event as an import line (canonical JSON), and what was read from the command line
    /// as it will be stored, to show back.
    private func line(catalogue: Catalogue, id: String?) throws -> (line: [UInt8], shown: [(String, String)]) {
        var object = JSONObject()
        var shown: [(String, String)] = []
        object["type"] = .string(type)
        object["stream"] = .string(stream)
        if let id { object["id"] = .string(id) }
        if let schemaVersion { object["schemaVersion"] = .int(Int64(schemaVersion)) }
        if let occurredAt { object["occurredAt"] = .string(occurredAt) }
        if let neighbourhood {
            let area = try NeighbourhoodArgument.resolve(neighbourhood, catalogue: catalogue, occurredAt: occurredAt)
            object["neighbourhood"] = .string(area?.code ?? neighbourhood)
            if let area { shown.append(("neighbourhood", area.label)) }
        }
        if let expectVersion { object["expectedVersion"] = .string(expectVersion) }
        if let correlation { object["correlationId"] = .string(correlation) }
        if let causation { object["causationId"] = .string(causation) }
        let (data, fieldsShown) = try buildData(catalogue: catalogue)
        object["data"] = .object(data)
        return (JSONWriter.canonical(.object(object)), shown + fieldsShown)
    }

    /// Prints an outcome given as `AppendOutcome.json` (made here, or by the server), then
    /// what the command line's words were stored as.
    private func report(_ outcome: JSONObject, shown: [(String, String)]) {
        let position = outcome["position"]?.int ?? 0, id = outcome["id"]?.string ?? ""
        if format == .json {
            print(JSONWriter.ordered(.object(outcome)))
            return
        } else if let version = outcome["streamVersion"]?.int {
            print("appended at position \(position): event \(id) (\(type), \(stream) version \(version))")
        } else {
            print("already recorded at position \(position): event \(id); nothing appended")
        }
        let width = min(24, (shown.map(\.0.count).max() ?? 0) + 2)
        for (key, value) in shown { print("  " + key + String(repeating: " ", count: max(1, width - key.count)) + value) }
    }

    private func buildData(catalogue: Catalogue) throws -> (JSONObject, [(String, String)]) {
        var object = JSONObject()
        if let data {
            let bytes: [UInt8]
            if data == "-" {
                bytes = InputFile.readAll(path: nil)
            } else if data.hasPrefix("@") {
                let path = String(data.dropFirst())
                guard let read = FileBytes.read(path) else { throw CLIError("--data @\(path): cannot read the file", code: ExitStatus.storage) }
                bytes = read
            } else {
                bytes = Array(data.utf8)
            }
            let value: JSONValue
            do { value = try JSONParser().value(bytes) } catch {
                throw CLIError("--data: \(error)", code: ExitStatus.refused)
            }
            guard let parsed = value.object else { throw CLIError("--data: must be a JSON object, not \(value.kindName)", code: ExitStatus.refused) }
            object = parsed
        }
        let schema = catalogue.type(type, version: schemaVersion)?.schema
        var shown: [(String, String)] = []
        for field in fields {
            let (key, text) = try FieldValue.split(field)
            let value = try FieldValue.parse(text, key: key, schema: schema?.property(key))
            object[key] = value
            shown.append((key, value.string ?? JSONWriter.ordered(value)))
        }
        return (object, shown)
    }
}
