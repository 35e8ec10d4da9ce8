import ArgumentParser
import JSON
import Ledger
import Privacy

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
        let ledger = try self.ledger.open()
        let sealer = try masterKey.unlock(ledger)
        try ledger.read { snapshot in
            let position = try EventReference.position(event, in: snapshot)
            let record = try snapshot.record(at: position)!
            let leaf = try snapshot.leafHash(at: position)
            var json: [UInt8] = []
            EventJSON.write(position: position, record: record, leafHash: leaf, into: &json)
            if format == .json {
                print(String(decoding: json, as: UTF8.self))
                return
            }
            let value = try JSONParser().value(json)
            var envelope = TextTable([.init("FIELD"), .init("VALUE", wraps: true)])
            for key in ["position", "id", "type", "schemaVersion", "stream", "streamVersion", "occurredAt",
                        "recordedAt", "recordedBy", "neighbourhood", "correlationId", "causationId", "leafHash"] {
                guard let v = value[key] else { continue }
                let text = v.string ?? JSONWriter.ordered(v)
                envelope.add([key, key.hasSuffix("At") ? TimeText.minutes(rfc3339: text, utc: display.utc) + "  (\(text))" : text])
            }
            let width = display.width
            for row in envelope.rows { print(envelope.line(row, Self.fieldWidths(envelope, width)), terminator: "") }
            print("data")
            let type = ledger.catalogue.type(record.type, version: Int(record.schemaVersion))
            let data = TextTable([.init("FIELD"), .init("CLASS"), .init("VALUE", wraps: true)], indent: 2)
            func field(_ key: String, _ text: String) {
                let dataClass = type?.dataClass(of: key)?.rawValue ?? "?"
                var widths = [23, 3, 0]
                widths[2] = max(text.count, 1)
                if let width { widths[2] = max(20, min(widths[2], width - 2 - 23 - 3 - 4)) }
                print(data.line([key, "[\(dataClass)]", text], widths), terminator: "")
            }
            for (key, v) in value["data"]?.object ?? JSONObject() { field(key, v.string ?? JSONWriter.ordered(v)) }
            guard record.isSealed else { return }
            let section = try SealedSection(record.personal)
            guard let sealer else {
                for name in section.fields { field(name, "[sealed: showing it needs the master key]") }
                return
            }
            switch try sealer.open(record.personal, eventId: record.id) {
            case .keyMissing(let keyId):
                let label = try MissingKey.label(keyId, ledger: ledger, snapshot: snapshot)
                for name in section.fields { field(name, label) }
            case .clear(let bytes):
                for (key, v) in try JSONParser().value(bytes).object ?? JSONObject() { field(key, v.string ?? JSONWriter.ordered(v)) }
                try sealer.keyStore.recordAccess(worker: worker.worker ?? "unknown", subject: section.keyId,
                                                 command: "show \(position) (\(record.type), \(record.stream))")
            }
        }
    }
}
