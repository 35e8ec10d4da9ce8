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
        // Created, closed, then opened with a sealer: the key store lives in the ledger's directory.
        _ = try Ledger.create(at: path, catalogue: try Catalogue.load(directory: schemas), initialMapSize: initialMapSize)
        masterKeyPath = path + ".master.key"
        try MasterKey.create(at: masterKeyPath)
        sealer = Sealer(keyStore: try KeyStore(ledgerPath: path, masterKey: try MasterKey.load(from: masterKeyPath)))
        ledger = try Ledger.open(at: path, sealer: sealer)
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
    return #"{\#(idPart)"type":"referral.made","stream":"\#(stream)","neighbourhood":"BU00340102","data":{"resident_id":"R000123","target_organisation":"org-schuldhulp-noord","service":"debt_help","handover":"warm","support_level":"moderate","urgency":"routine"\#(extra)}}"#
}

func event(_ type: String, _ stream: String, _ data: String = "{}", extra: String = "") -> String {
    #"{"type":"\#(type)","stream":"\#(stream)","data":\#(data)\#(extra)}"#
}

/// A test with a fresh `ScratchLedger` for each test, removed afterwards.
class ScratchLedgerTestCase: XCTestCase {
    var scratch: ScratchLedger!
    override func setUpWithError() throws { scratch = try ScratchLedger() }
    override func tearDown() { scratch.cleanUp() }

    /// Appends `n` contact events, each in stream `contact-marker-I-marker` (a marker a test can
    /// find in the data file) with a summary, a personal field.
    func fill(_ n: Int) throws {
        let events = try (0..<n).map { i in try scratch.prepare(event("contact.recorded", "contact-marker-\(i)-marker", #"{"mode":"street","topics":["safety"],"summary":"zin \#(i)"}"#)) }
        try scratch.sealer.persist()
        _ = try scratch.ledger.append(events)
    }
}

/// A copy of the repository's schemas in a temporary directory (the caller removes it), with
/// `old` replaced by `new` in the file `name`; the test fails when `old` does not occur there.
func editedSchemas(_ name: String, replacing old: String, with new: String,
                   file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let schemas = NSTemporaryDirectory() + "buurtboek-schemas-\(UUID().uuidString)"
    try FileManager.default.copyItem(atPath: repositorySchemas, toPath: schemas)
    let path = schemas + "/" + name
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let edited = text.replacingOccurrences(of: old, with: new)
    XCTAssertNotEqual(edited, text, "\(name) holds no \(old)", file: file, line: line)
    try edited.write(toFile: path, atomically: true, encoding: .utf8)
    return schemas
}
