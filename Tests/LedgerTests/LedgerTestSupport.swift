import Foundation
import XCTest
@testable import Catalogue
@testable import Ledger
import Privacy

let repositorySchemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Schemas").path

/// A fresh ledger in a temporary directory, removed by `cleanUp`.
final class ScratchLedger {
    let path: String
    let ledger: Ledger
    let preparer: EventPreparer
    let sealer: Sealer
    let masterKeyPath: String

    init(initialMapSize: Int = 64 << 20, schemas: String = repositorySchemas) throws {
        path = NSTemporaryDirectory() + "buurtboek-ledger-\(UUID().uuidString)"
        ledger = try Ledger.create(at: path, catalogue: try Catalogue.load(directory: schemas), initialMapSize: initialMapSize)
        masterKeyPath = path + ".master.key"
        try MasterKey.create(at: masterKeyPath)
        sealer = Sealer(keyStore: try KeyStore(ledgerPath: path, masterKey: try MasterKey.load(from: masterKeyPath)))
        ledger.sealer = sealer
        preparer = EventPreparer(catalogue: ledger.catalogue, defaultWorker: "w-test", sealer: sealer)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.removeItem(atPath: masterKeyPath)
    }

    func prepare(_ line: String, source: String = "event") throws -> PreparedEvent {
        preparer.now = Clock.nowMicros()
        return try preparer.prepare(line: Array(line.utf8), source: EventSource(source))
    }

    @discardableResult
    func append(_ lines: String..., mode: Ledger.BatchMode = .atomic) throws -> [AppendOutcome] {
        let events = try lines.map { try prepare($0) }
        try sealer.persist()
        return try ledger.append(events, mode: mode)
    }

    var size: UInt64 { try! ledger.read { try $0.size() } }
}

func referralMade(_ stream: String = "referral-2024-0042", id: String? = nil, extra: String = "") -> String {
    let idPart = id.map { #""id":"\#($0)","# } ?? ""
    return #"{\#(idPart)"type":"referral.made","stream":"\#(stream)","neighbourhood":"BU03630001","data":{"resident_id":"R000123","target_organisation":"org-schuldhulp-noord","service":"debt_help","handover":"warm","support_level":"moderate","urgency":"routine"\#(extra)}}"#
}

func event(_ type: String, _ stream: String, _ data: String = "{}", extra: String = "") -> String {
    #"{"type":"\#(type)","stream":"\#(stream)","data":\#(data)\#(extra)}"#
}
