#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Audit
import Catalogue
import JSON
import Ledger
import Privacy

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The whole history of a referral, signal or resident, with proofs and anomalies.",
        discussion: Help.page("""
        Each event with its position, occurred and recorded times, who recorded it, the lifecycle
        state after it, the corrections that touch it and its inclusion proof in the latest
        checkpoint; then the anomalies an auditor looks for: a state reached out of order in
        occurred time, an entry recorded long after it occurred, no terminal event past the due
        date, a warm handover without an accompanied first contact, data shared without consent.
        --bundle writes one self-contained JSON file that Tools/verify-bundle.py checks offline.

        EXAMPLES
          buurtboek audit referral referral-2024-0042
          buurtboek audit signal signal-2024-0007 --format json
          buurtboek audit resident R000123 --master-key ~/.buurtboek/master.key
          buurtboek audit referral referral-2024-0042 --bundle referral-0042.json --since-checkpoint 1200
        """))

    enum Format: String, Choice { case text, json }

    @Argument(help: "referral, signal or resident.") var kind: String
    @Argument(help: "The stream id (referral-…, signal-…) or resident id (R…).") var id: String
    @Option(help: ArgumentHelp("text or json.", valueName: "format")) var format: Format = .text
    @Option(help: ArgumentHelp("Write an offline audit bundle to this file.", valueName: "file")) var bundle: String?
    @Option(name: .customLong("since-checkpoint"), help: ArgumentHelp("With --bundle: add a consistency proof from this earlier checkpoint.", valueName: "size"))
    var sinceCheckpoint: UInt64?
    @Option(name: .customLong("late-after"), help: ArgumentHelp("Days after which an entry counts as recorded late.", valueName: "days"))
    var lateAfter = 7
    @OptionGroup var display: DisplayOptions
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var masterKey: MasterKeyOption
    @OptionGroup var worker: WorkerOption

    func run() throws {
        guard let kind = AuditTrail.Kind(rawValue: kind) else {
            throw CLIError("audit what? referral, signal or resident, not \(kind)\(NameSuggestion.hint(kind, in: ["referral", "signal", "resident"]))")
        }
        let ledger = try self.ledger.open()
        let sealer = try masterKey.unlock(ledger)
        var options = AuditTrail.Options()
        options.lateAfterDays = lateAfter
        let trail = try AuditTrail.build(kind, id: id, ledger: ledger, options: options)
        if let bundle { try writeBundle(trail, ledger: ledger, to: bundle, kind: kind) }
        let corrections = try ledger.read { s in
            try trail.events.flatMap(\.corrections).map { p -> (UInt64, JSONValue) in
                (p, try JSONParser().value(Array(try s.record(at: p)!.data)))
            }
        }
        var personal: [UInt64: JSONValue] = [:]
        if let sealer, kind == .resident || trail.events.contains(where: \.sealed) {
            try ledger.read { s in
                for event in trail.events where event.sealed {
                    let record = try s.record(at: event.position)!
                    switch try sealer.open(record.personal, eventId: record.id) {
                    case .clear(let bytes): personal[event.position] = try JSONParser().value(bytes)
                    case .keyMissing(let keyId): personal[event.position] = .string(try MissingKey.label(keyId, ledger: ledger, snapshot: s))
                    }
                }
            }
            // Recorded under the key id that access-log filters by: the resident, or the stream.
            let subject = DataKeyId.forEvent(stream: trail.streams[0], residentId: kind == .resident ? DataKeyId.resident(ofStream: trail.streams[0]) : nil)
            try sealer.keyStore.recordAccess(worker: worker.worker ?? "unknown", subject: subject, command: "audit \(trail.subject)")
        }
        format == .json ? printJSON(trail, corrections: corrections, personal: personal) : printText(trail, corrections: corrections, personal: personal)
    }

    private func writeBundle(_ trail: AuditTrail, ledger: Ledger, to path: String, kind: AuditTrail.Kind) throws {
        let (key, since): (String?, (String, [Hash])?) = try ledger.read { s in
            var since: (String, [Hash])?
            if let size = sinceCheckpoint {
                guard let note = try s.checkpoints().first(where: { $0.size == size })?.note else {
                    throw CLIError("--since-checkpoint \(size): no such checkpoint (see `buurtboek checkpoint list`)", code: ExitStatus.refused)
                }
                let latest = trail.checkpoint?.size ?? 0
                guard size >= 1, size <= latest else { throw CLIError("--since-checkpoint \(size) must be at most the latest checkpoint, \(latest)", code: ExitStatus.refused) }
                since = (note, size == latest ? [] : try Merkle.consistencyProof(old: Int64(size), new: Int64(latest), reader: s.hashReader))
            }
            return (try s.checkpointVerifierKey(), since)
        }
        guard let key else { throw CLIError("no checkpoint yet: sign one first (buurtboek checkpoint)", code: ExitStatus.refused) }
        let lifecycle = try JSONParser().value(ledger.catalogue.bundle)["catalogue"]?["lifecycles"]?[kind.rawValue]
        let bytes = try AuditBundle.make(trail, publicKey: key, lifecycleDefinition: lifecycle, since: since)
        try OutputFile.write(path, bytes)
        Terminal.writeError("buurtboek: wrote the audit bundle \(path) (\(trail.events.count) events, checkpoint \(trail.checkpoint!.size))")
    }

    private func printText(_ trail: AuditTrail, corrections: [(UInt64, JSONValue)], personal: [UInt64: JSONValue]) {
        let state = trail.events.last(where: { $0.stateAfter != nil })?.stateAfter.map { ", state \($0)" } ?? ""
        let checkpoint = trail.checkpoint.map { "checkpoint \($0.size)" } ?? "no checkpoint yet"
        let heading = "\(trail.subject): \(trail.events.count) events in \(trail.streams.count) stream\(trail.streams.count == 1 ? "" : "s")\(state); proofs against \(checkpoint)"
        for line in display.width.map({ TextTable.wrap(heading, to: $0) }) ?? [heading] { print(line) }
        var table = TextTable([.init("POS", right: true), .init("V", right: true), .init("OCCURRED"), .init("RECORDED"), .init("BY", wraps: true),
                               .init("TYPE", wraps: true), .init("STATE AFTER", wraps: true), .init("PROOF", wraps: true)])
        let rows = trail.events.map { e in
            [String(e.position), String(e.streamVersion), display.time(e.occurredAt), display.time(e.recordedAt), e.recordedBy, e.type,
             e.stateAfter ?? "-", e.inclusionProof.map { "\($0.count) hashes" } ?? "not yet covered"]
        }
        for row in rows { table.add(row) }
        let width = display.width
        // Too wide for the terminal as a table: one block per event instead.
        let natural = table.widths(fitting: nil)
        let blocks = width.map { natural.reduce(0, +) + 2 * (natural.count - 1) > $0 } ?? false
        let widths = table.widths(fitting: width)
        func say(_ text: String, indent: Int) {
            for line in width.map({ TextTable.wrap(text, to: max(20, $0 - indent)) }) ?? [text] { print(String(repeating: " ", count: indent) + line) }
        }
        if !blocks { print(table.line(table.columns.map(\.title), widths), terminator: "") }
        for (e, row) in zip(trail.events, rows) {
            if blocks {
                say("position \(row[0]), version \(row[1]): \(e.type) -> \(row[6])", indent: 0)
                say("occurred \(row[2]), recorded \(row[3]) by \(e.recordedBy); proof: \(row[7])", indent: 9)
            } else {
                print(table.line(row, widths), terminator: "")
            }
            let fields = (e.data.object ?? JSONObject()).map { "\($0.key)=\($0.value.string ?? JSONWriter.ordered($0.value))" }
            let sealed = personal[e.position].map { " personal: \($0.string ?? JSONWriter.ordered($0))" } ?? (e.sealed ? " personal: [sealed]" : "")
            let detail = fields.joined(separator: " ") + sealed
            if !detail.isEmpty { say(detail.trimmingWhitespace, indent: 9) }
            for c in e.corrections { print("         corrected by position \(c)") }
        }
        if !corrections.isEmpty {
            print("corrections")
            for (position, data) in corrections {
                print("  position \(position): \(data["action"]?.string ?? "?") of position \(data["corrects_position"]?.int ?? 0)\(data["fields"].map { ", new values \(JSONWriter.ordered($0))" } ?? "")")
            }
        }
        print(trail.anomalies.isEmpty ? "anomalies: none" : "anomalies")
        for a in trail.anomalies {
            let text = "- \(a.position.map { "position \($0): " } ?? "")\(a.kind): \(a.message)"
            let lines = width.map { TextTable.wrap(text, to: max(20, $0 - 4)) } ?? [text]
            for (i, line) in lines.enumerated() { print((i == 0 ? "  " : "    ") + line) }
        }
    }

    private func printJSON(_ trail: AuditTrail, corrections: [(UInt64, JSONValue)], personal: [UInt64: JSONValue]) {
        var object = JSONObject()
        object["subject"] = .string(trail.subject)
        object["streams"] = .array(trail.streams.map { .string($0) })
        if let (size, note) = trail.checkpoint { object["checkpoint"] = .object(JSONObject([("size", .int(Int64(size))), ("note", .string(note))])) }
        object["events"] = .array(trail.events.map { e in
            var o = JSONObject()
            o["position"] = .int(Int64(e.position))
            o["id"] = .string(e.id)
            o["type"] = .string(e.type)
            o["stream"] = .string(e.stream)
            o["streamVersion"] = .int(Int64(e.streamVersion))
            o["occurredAt"] = .string(RFC3339.format(e.occurredAt))
            o["recordedAt"] = .string(RFC3339.format(e.recordedAt))
            o["recordedBy"] = .string(e.recordedBy)
            o["stateAfter"] = e.stateAfter.map { .string($0) } ?? .null
            o["data"] = e.data
            if let p = personal[e.position] { o["personal"] = p } else if e.sealed { o["personal"] = .string("[sealed]") }
            o["leafHash"] = .string(e.leafHash.hex)
            o["inclusionProof"] = e.inclusionProof.map { .array($0.map { .string($0.hex) }) } ?? .null
            o["corrections"] = .array(e.corrections.map { .int(Int64($0)) })
            return .object(o)
        })
        object["corrections"] = .array(corrections.map { .object(JSONObject([("position", .int(Int64($0.0))), ("data", $0.1)])) })
        object["anomalies"] = .array(trail.anomalies.map { a in
            .object(JSONObject([("position", a.position.map { .int(Int64($0)) } ?? .null), ("kind", .string(a.kind)), ("message", .string(a.message))]))
        })
        print(JSONWriter.ordered(.object(object)))
    }
}

/// `correct` and `void`: corrections are new events; nothing is edited in place.
struct CorrectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "correct",
        abstract: "Amend an earlier event by appending a correction.",
        discussion: Help.page("""
        Appends ledger.correction_recorded (stream correction-POS) with the new values of the given
        fields; the original stays in the log, and audits show both side by side. The reason is
        free text, so it is sealed: the master key is needed.

        EXAMPLES
          buurtboek correct 812 --reason "attendance was 34, not 43" --field attendance=34
        """))

    @Argument(help: "The position of the event to amend.") var position: UInt64
    @Option(help: ArgumentHelp("Why the correction is made.", valueName: "text")) var reason: String
    @Option(name: .customLong("field"), help: ArgumentHelp("A field's new value (repeatable).", valueName: "key=value")) var fields: [String] = []
    @OptionGroup var worker: WorkerOption
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var masterKey: MasterKeyOption

    func run() throws {
        guard !fields.isEmpty else { throw CLIError("correct needs at least one --field key=value (use `buurtboek void` to void an event)") }
        try Corrections.append(action: "amend", position: position, reason: reason, fields: fields, worker: worker, ledger: ledger, masterKey: masterKey)
    }
}

struct VoidCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "void",
        abstract: "Void an earlier event by appending a correction.",
        discussion: Help.page("""
        EXAMPLES
          buurtboek void 812 --reason "recorded for the wrong resident"
        """))

    @Argument(help: "The position of the event to void.") var position: UInt64
    @Option(help: ArgumentHelp("Why it is voided.", valueName: "text")) var reason: String
    @OptionGroup var worker: WorkerOption
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var masterKey: MasterKeyOption

    func run() throws {
        try Corrections.append(action: "void", position: position, reason: reason, fields: [], worker: worker, ledger: ledger, masterKey: masterKey)
    }
}

enum Corrections {
    static func append(action: String, position: UInt64, reason: String, fields: [String], worker: WorkerOption,
                       ledger options: LedgerOptions, masterKey: MasterKeyOption) throws {
        let ledger = try options.open()
        let sealer = try masterKey.require(ledger, for: "a correction (its reason is free text)")
        let (id, typeName, version) = try ledger.read { s -> (String, String, Int) in
            guard let record = try s.record(at: position) else {
                throw CLIError("no event at position \(position) (the log holds \(try s.size()))", code: ExitStatus.refused)
            }
            return (UUIDText.format(record.id), record.type, Int(record.schemaVersion))
        }
        guard typeName != "ledger.correction_recorded" else { throw CLIError("position \(position) is itself a correction", code: ExitStatus.refused) }
        let type = ledger.catalogue.type(typeName, version: version)
        var public_ = JSONObject(), personal = JSONObject()
        for field in fields {
            guard let eq = field.firstIndex(of: "="), eq != field.startIndex else { throw CLIError("--field \(field): expected key=value") }
            let key = String(field[..<eq])
            guard let dataClass = type?.dataClass(of: key) else {
                throw CLIError("--field \(key): \(typeName) has no such field (see `buurtboek types \(typeName)`)", code: ExitStatus.refused)
            }
            let value = try FieldValue.parse(String(field[field.index(after: eq)...]), key: key, schema: type?.schema.property(key))
            if let failure = try JSONParser().parse(JSONWriter.canonical(value)) { type!.schema.property(key)!.validate($0) } {
                throw CLIError("--field \(key)\(failure.path): \(failure.rule)", code: ExitStatus.refused)
            }
            if dataClass.isPersonal { personal[key] = value } else { public_[key] = value }
        }
        var data = JSONObject()
        data["corrects_position"] = .int(Int64(position))
        data["corrects_event_id"] = .string(id)
        data["action"] = .string(action)
        data["reason"] = .string(reason)
        if !public_.isEmpty { data["fields"] = .object(public_) }
        if !personal.isEmpty { data["personal_fields"] = .object(personal) }
        let line = JSONObject([("type", .string("ledger.correction_recorded")), ("stream", .string("correction-\(position)")), ("data", .object(data))])
        let preparer = EventPreparer(catalogue: ledger.catalogue, defaultWorker: worker.worker, sealer: sealer)
        let event = try preparer.prepare(line: JSONWriter.canonical(.object(line)), source: "correction")
        try sealer.persist()
        guard case .appended(let at, _) = try ledger.append([event])[0] else { return }
        print("appended at position \(at): \(action) of position \(position) (\(typeName))")
    }
}

enum OutputFile {
    /// Writes a temporary file beside `path` and renames it into place: a reader never sees
    /// half a file, and a failure leaves the old one as it was.
    static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws {
        let temporary = path + ".tmp-\(getpid())"
        do {
            try write(temporary, bytes)
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CLIError("cannot write \(path): \(reason)", code: ExitStatus.storage)
        }
    }

    static func write(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))", code: ExitStatus.storage) }
        defer { close(fd) }
        guard Descriptor.writeAll(fd, bytes), fsync(fd) == 0 else { throw CLIError("cannot write \(path)", code: ExitStatus.storage) }
    }
}
