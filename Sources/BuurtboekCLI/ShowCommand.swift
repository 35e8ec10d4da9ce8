import ArgumentParser
import Catalogue
import JSON
import Ledger
import Privacy
import Remote
import TextFormats

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one event in full, by position or event id.",
        discussion: Help.page("""
        EXAMPLES
          buurtboek show 42
          buurtboek show 0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e6f --format json
        """))

    @Argument(help: "A position or an event id.") var event: String
    @Option(help: ArgumentHelp("text or json.", valueName: "format")) var format: Format = .text
    @OptionGroup var display: DisplayOptions
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var masterKey: MasterKeyOption
    @OptionGroup var worker: WorkerOption

    enum Format: String, Choice { case text, json }

    /// The envelope's key column fixed at 15, its value wrapped to what is left.
    static func fieldWidths(_ table: TextTable, _ width: Int?) -> [Int] {
        let longest = table.rows.map { $0[1].count }.max() ?? 1
        return [15, width.map { max(20, min(longest, $0 - 17)) } ?? longest]
    }

    func run() throws {
        if let remote = try ledger.remote() {
            // The server opens the personal fields for a worker (and records it under their
            // name); an auditor gets their names only.
            let answer = try remote.getJSON("/v1/events/" + QueryText.escape(event))
            return try render(answer["event"] ?? .null, personal: PersonalFields(json: answer["personal"]),
                              corrections: answer["corrections"]?.array ?? [], catalogue: try RemoteCatalogue.fetch(remote))
        }
        let (ledger, sealer) = try self.ledger.open(unlocking: masterKey)
        try ledger.read { snapshot in
            let position = try EventReference.position(event, in: snapshot)
            let record = try snapshot.record(at: position)!
            var json: [UInt8] = []
            EventJSON.write(position: position, record: record, leafHash: try snapshot.leafHash(at: position), into: &json)
            let personal = format == .json ? .none
                : try PersonalFields.open(record, sealer: sealer, snapshot: snapshot, withheld: "showing it needs the master key")
            switch personal {
            case .clear(_, let keyId):
                try sealer?.keyStore.recordAccess(worker: worker.worker ?? "unknown", subject: keyId,
                                                  command: "show \(position) (\(record.type), \(record.stream))")
            case .unreadable(_, let keyId, false): MissingKey.hint(keyId, ledger: ledger)
            default: break
            }
            let corrections = try CorrectionsShown.json(of: position, snapshot: snapshot, sealer: format == .json ? nil : sealer,
                                                        reader: worker.worker ?? "unknown")
            try render(try JSONParser().value(json), personal: personal, corrections: corrections.array ?? [], catalogue: ledger.catalogue)
        }
    }

    /// The event as `--format json` (the export's keys) or as the envelope and the data fields,
    /// each with its data class; the personal fields as `personal` says.
    private func render(_ value: JSONValue, personal: PersonalFields, corrections: [JSONValue], catalogue: Catalogue) throws {
        if format == .json {
            // The event as exported, with its corrections (their public part) when it has any.
            guard var object = value.object, !corrections.isEmpty else { return print(JSONWriter.ordered(value)) }
            object["corrections"] = .array(corrections.map { c in
                var o = c.object ?? JSONObject()
                o["reason"] = nil
                o["personalFields"] = nil
                return .object(o)
            })
            return print(JSONWriter.ordered(.object(object)))
        }
        let amended = CorrectionText(corrections, display: display)
        if let void = amended.void { print(void) }
        var envelope = TextTable([.init("FIELD"), .init("VALUE", wraps: true)])
        var names = AreaNames(catalogue)
        for key in ["position", "id", "type", "schemaVersion", "stream", "streamVersion", "occurredAt",
                    "recordedAt", "recordedBy", "neighbourhood", "correlationId", "causationId", "leafHash"] {
            guard let v = value[key] else { continue }
            var text = v.string ?? JSONWriter.ordered(v)
            if key == "neighbourhood", !text.isEmpty, let area = names.area(text, occurredAt: value["occurredAt"]?.string) {
                text = area.label
            }
            envelope.add([key, key.hasSuffix("At") ? TimeText.minutes(rfc3339: text, utc: display.utc) + "  (\(text))" : text])
        }
        let width = display.width
        for row in envelope.rows { print(envelope.line(row, Self.fieldWidths(envelope, width)), terminator: "") }
        print("data")
        let type = catalogue.type(value["type"]?.string ?? "", version: Int(value["schemaVersion"]?.int ?? 1))
        let data = TextTable([.init("FIELD"), .init("CLASS"), .init("VALUE", wraps: true)], indent: 2)
        func field(_ key: String, _ text: String) {
            let dataClass = type?.dataClass(of: key)?.rawValue ?? "?"
            var widths = [23, 3, 0]
            widths[2] = max(text.count, 1)
            if let width { widths[2] = max(20, min(widths[2], width - 2 - 23 - 3 - 4)) }
            print(data.line([key, "[\(dataClass)]", text], widths), terminator: "")
        }
        for (key, v) in value["data"]?.object ?? JSONObject() { field(key, amended.text(key, original: v.string ?? JSONWriter.ordered(v))) }
        for (name, text) in personal.shown { field(name, amended.text(name, original: text)) }
        for line in amended.list { print(line) }
    }
}

/// How `show` prints an event's corrections: a void first, each amended field's current value
/// with its original beside it, then the list of corrections.
struct CorrectionText {
    private(set) var void: String?
    private var amended: [String: (value: String, note: String)] = [:]
    private(set) var list: [String] = []

    init(_ corrections: [JSONValue], display: DisplayOptions) {
        guard !corrections.isEmpty else { return }
        list.append("corrections")
        for c in corrections {
            let position = c["position"]?.int ?? 0
            let when = c["occurredAt"]?.string.flatMap(RFC3339.parse).map(display.time) ?? ""
            let by = c["recordedBy"]?.string ?? ""
            let reason = c["reason"]?.string.map { ": \($0)" } ?? ""
            if c["action"]?.string == "void" {
                void = "VOID: voided at position \(position) (\(when), by \(by))\(reason); reports leave it out"
                list.append("  \(position)  void   \(when)  \(by)\(reason)")
                continue
            }
            var values: [(String, JSONValue)] = Array(c["fields"]?.object ?? JSONObject())
            values += Array(c["personalFields"]?.object ?? JSONObject())
            for (key, value) in values {
                amended[key] = (value.string ?? JSONWriter.ordered(value), "amended at position \(position), \(when), by \(by)")
            }
            let changes = values.map { "\($0.0)=\($0.1.string ?? JSONWriter.ordered($0.1))" }.joined(separator: " ")
            list.append("  \(position)  amend  \(when)  \(by)  \(changes)\(reason)")
        }
    }

    /// The field's text: its current value, and the original with the amendment's place.
    func text(_ key: String, original: String) -> String {
        guard let now = amended[key] else { return original }
        return "\(now.value)  (was \(original); \(now.note))"
    }
}
