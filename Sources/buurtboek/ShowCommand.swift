import ArgumentParser
import JSON
import Ledger
import Privacy

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one event in full, by position or event id.",
        discussion: Help.reflow("""
        EXAMPLES
          buurtboek show 42
          buurtboek show 0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e6f --format json
        """))

    @Argument(help: "A position or an event id.") var event: String
    @Option(help: ArgumentHelp("text or json.", valueName: "format")) var format: Format = .text
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var masterKey: MasterKeyOption
    @OptionGroup var worker: WorkerOption

    enum Format: String, ExpressibleByArgument { case text, json }

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
            for key in ["position", "id", "type", "schemaVersion", "stream", "streamVersion", "occurredAt",
                        "recordedAt", "recordedBy", "neighbourhood", "correlationId", "causationId", "leafHash"] {
                guard let v = value[key] else { continue }
                print(Table.row([key, v.string ?? JSONWriter.ordered(v)], widths: [15]))
            }
            print("data")
            let type = ledger.catalogue.type(record.type, version: Int(record.schemaVersion))
            func field(_ key: String, _ text: String) {
                let dataClass = type?.dataClass(of: key)?.rawValue ?? "?"
                print("  " + Table.row([key, "[\(dataClass)]", text], widths: [24, 4]))
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
