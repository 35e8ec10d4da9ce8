#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Audit
import Catalogue
import JSON
import Ledger
import Privacy
import Remote
import TextFormats

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
        if let remote = try ledger.remote() { return try runRemote(remote, kind: kind) }
        let (ledger, sealer) = try self.ledger.open(unlocking: masterKey)
        var options = AuditTrail.Options()
        options.lateAfterDays = lateAfter
        let trail = try AuditTrail.build(kind, id: id, ledger: ledger, options: options)
        if let bundle {
            try OutputFile.write(bundle, try AuditBundle.make(trail, kind: kind, ledger: ledger, sinceCheckpoint: sinceCheckpoint))
            Terminal.writeError("buurtboek: wrote the audit bundle \(bundle) (\(trail.events.count) events, checkpoint \(trail.checkpoint!.size))")
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
        show(trail.json(corrections: try trail.corrections(in: ledger), personal: personal))
    }

    /// From a team server (an auditor's token): the server builds the trail and the bundle;
    /// personal fields stay sealed, since the auditor's role does not open them.
    private func runRemote(_ remote: RemoteLedger, kind: AuditTrail.Kind) throws {
        guard masterKey.file == nil else {
            throw CLIError("--master-key is for a ledger directory: a team server holds its key itself, and does not open personal fields for an auditor")
        }
        let path = "/v1/audit/\(kind.rawValue)/\(QueryText.escape(id))"
        if let bundle {
            let response = try remote.send(.GET, path + "/bundle?late-after=\(lateAfter)" + (sinceCheckpoint.map { "&since-checkpoint=\($0)" } ?? ""))
            guard response.status == 200 else { throw RemoteError(response: response) }
            try OutputFile.write(bundle, response.body)
            let written = try JSONParser().value(response.body)
            let size = try (written["checkpoint"]?.string).map { try Checkpoint(text: try SignedNote.split($0).text).size } ?? 0
            Terminal.writeError("buurtboek: wrote the audit bundle \(bundle) (\(written["events"]?.array?.count ?? 0) events, checkpoint \(size))")
        }
        show(try remote.getJSON(path + "?late-after=\(lateAfter)"))
    }

    private func show(_ trail: JSONValue) {
        if format == .json { print(JSONWriter.ordered(trail)) } else { printText(trail) }
    }

    private func printText(_ trail: JSONValue) {
        let events = trail["events"]?.array ?? []
        let streams = trail["streams"]?.array?.count ?? 0
        let state = events.last(where: { $0["stateAfter"]?.string != nil })?["stateAfter"]?.string.map { ", state \($0)" } ?? ""
        let checkpoint = trail["checkpoint"]?["size"]?.int.map { "checkpoint \($0)" } ?? "no checkpoint yet"
        let heading = "\(trail["subject"]?.string ?? ""): \(events.count) events in \(streams) stream\(streams == 1 ? "" : "s")\(state); proofs against \(checkpoint)"
        for line in display.width.map({ TextTable.wrap(heading, to: $0) }) ?? [heading] { print(line) }
        var table = TextTable([.init("POS", right: true), .init("V", right: true), .init("OCCURRED"), .init("RECORDED"), .init("BY", wraps: true),
                               .init("TYPE", wraps: true), .init("STATE AFTER", wraps: true), .init("PROOF", wraps: true)])
        func time(_ value: JSONValue?) -> String { value?.string.flatMap(RFC3339.parse).map(display.time) ?? "" }
        let rows = events.map { e in
            [String(e["position"]?.int ?? 0), String(e["streamVersion"]?.int ?? 0), time(e["occurredAt"]), time(e["recordedAt"]),
             e["recordedBy"]?.string ?? "", e["type"]?.string ?? "", e["stateAfter"]?.string ?? "-",
             e["inclusionProof"]?.array.map { "\($0.count) hashes" } ?? "not yet covered"]
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
        for (e, row) in zip(events, rows) {
            if blocks {
                say("position \(row[0]), version \(row[1]): \(row[5]) -> \(row[6])", indent: 0)
                say("occurred \(row[2]), recorded \(row[3]) by \(row[4]); proof: \(row[7])", indent: 9)
            } else {
                print(table.line(row, widths), terminator: "")
            }
            let fields = (e["data"]?.object ?? JSONObject()).map { "\($0.key)=\($0.value.string ?? JSONWriter.ordered($0.value))" }
            let sealed = e["personal"].map { " personal: \($0.string ?? JSONWriter.ordered($0))" } ?? ""
            let detail = fields.joined(separator: " ") + sealed
            if !detail.isEmpty { say(detail.trimmingWhitespace, indent: 9) }
            for c in e["corrections"]?.array ?? [] { print("         corrected by position \(c.int ?? 0)") }
        }
        let corrections = trail["corrections"]?.array ?? []
        if !corrections.isEmpty {
            print("corrections")
            for c in corrections {
                let data = c["data"] ?? .null
                print("  position \(c["position"]?.int ?? 0): \(data["action"]?.string ?? "?") of position \(data["corrects_position"]?.int ?? 0)\(data["fields"].map { ", new values \(JSONWriter.ordered($0))" } ?? "")")
            }
        }
        let anomalies = trail["anomalies"]?.array ?? []
        print(anomalies.isEmpty ? "anomalies: none" : "anomalies")
        for a in anomalies {
            let text = "- \(a["position"]?.int.map { "position \($0): " } ?? "")\(a["kind"]?.string ?? ""): \(a["message"]?.string ?? "")"
            let lines = width.map { TextTable.wrap(text, to: max(20, $0 - 4)) } ?? [text]
            for (i, line) in lines.enumerated() { print((i == 0 ? "  " : "    ") + line) }
        }
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
        free text, so it is sealed: the master key is needed on a ledger directory. Through a
        team server (a worker's token) the server seals it, and a retry after a lost answer is
        "already recorded".

        EXAMPLES
          buurtboek correct 812 --reason "attendance was 34, not 43" --field attendance=34
          buurtboek correct 812 --reason "attendance was 34" --field attendance=34 --ledger https://buurtboek.example:8443
        """))

    @Argument(help: "The position of the event to amend.") var position: UInt64
    @Option(help: ArgumentHelp("Why the correction is made.", valueName: "text")) var reason: String
    @Option(name: .customLong("field"), help: ArgumentHelp("A field's new value (repeatable).", valueName: "key=value")) var fields: [String] = []
    @OptionGroup var output: FactsFormat
    @OptionGroup var worker: WorkerOption
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var masterKey: MasterKeyOption

    func run() throws {
        try Corrections.append(Correction.Request(position: position, action: .amend, reason: reason, fields: fields),
                               output: output, worker: worker, ledger: ledger, masterKey: masterKey)
    }
}

struct VoidCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "void",
        abstract: "Void an earlier event by appending a correction.",
        discussion: Help.page("""
        The voided event stays in the log; read models and audits leave it out from then on and
        show why. Works on a ledger directory (master key) or through a team server (a worker's
        token).

        EXAMPLES
          buurtboek void 812 --reason "recorded for the wrong resident"
        """))

    @Argument(help: "The position of the event to void.") var position: UInt64
    @Option(help: ArgumentHelp("Why it is voided.", valueName: "text")) var reason: String
    @OptionGroup var output: FactsFormat
    @OptionGroup var worker: WorkerOption
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var masterKey: MasterKeyOption

    func run() throws {
        try Corrections.append(Correction.Request(position: position, action: .void, reason: reason, fields: []),
                               output: output, worker: worker, ledger: ledger, masterKey: masterKey)
    }
}

enum Corrections {
    static func append(_ request: Correction.Request, output: FactsFormat, worker: WorkerOption,
                       ledger options: LedgerOptions, masterKey: MasterKeyOption) throws {
        let outcome: JSONObject
        if let remote = try options.remote() {
            // The id is given here, so a request sent again after a lost answer is "already recorded".
            let sent = Correction.Request(position: request.position, action: request.action, reason: request.reason,
                                          fields: request.fields, id: UUIDText.format(Clock.uuidV7()))
            let response = try remote.send(.POST, "/v1/corrections", body: JSONWriter.canonical(.object(sent.json)))
            outcome = try response.json().object ?? JSONObject()
            guard ["appended", "already_recorded"].contains(outcome["status"]?.string) else { throw RemoteError(response: response) }
        } else {
            let (ledger, sealer) = try options.open(requiring: masterKey, for: "a correction (its reason is free text)")
            let (target, line) = try Correction.line(request, in: ledger)
            let preparer = EventPreparer(catalogue: ledger.catalogue, defaultWorker: worker.worker, sealer: sealer)
            let event = try preparer.prepare(line: line, source: "correction")
            try sealer.persist()
            let appended = try ledger.append([event])[0]
            if case .refused(let error) = appended { throw error }
            outcome = Correction.outcome(appended, id: event.id, request, target: target)
        }
        if output.json { return print(JSONWriter.ordered(.object(outcome))) }
        let what = "\(outcome["action"]?.string ?? "") of position \(outcome["corrects"]?.int ?? 0) (\(outcome["correctsType"]?.string ?? ""))"
        if outcome["status"]?.string == "appended" {
            print("appended at position \(outcome["position"]?.int ?? 0): \(what)")
        } else {
            print("already recorded at position \(outcome["position"]?.int ?? 0): \(what); nothing appended")
        }
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
