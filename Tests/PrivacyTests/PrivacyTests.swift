import Foundation
import XCTest
@testable import Catalogue
@testable import Ledger
@testable import Privacy

final class PrivacyTests: XCTestCase {
    var dir = ""
    override func setUp() {
        dir = NSTemporaryDirectory() + "buurtboek-privacy-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testMasterKeyFilesAreCreatedPrivateAndLooseOnesRefused() throws {
        let path = dir + "/master.key"
        try MasterKey.create(at: path)
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
        XCTAssertEqual(mode, 0o600)
        XCTAssertThrowsError(try MasterKey.create(at: path), "never overwritten")
        XCTAssertNoThrow(try MasterKey.load(from: path))
        chmod(path, 0o640)
        XCTAssertThrowsError(try MasterKey.load(from: path)) { XCTAssertTrue("\($0)".contains("readable by group or others"), "\($0)") }
        let notAKey = dir + "/not.key"
        FileManager.default.createFile(atPath: notAKey, contents: Data("hello\n".utf8), attributes: [.posixPermissions: 0o600])
        XCTAssertThrowsError(try MasterKey.load(from: notAKey))
    }

    func testSealedSectionsOpenOnlyForTheirEventAndOnlyWithTheRightMasterKey() throws {
        try MasterKey.create(at: dir + "/a.key")
        try MasterKey.create(at: dir + "/b.key")
        let store = try KeyStore(ledgerPath: dir, masterKey: try MasterKey.load(from: dir + "/a.key"))
        let sealer = Sealer(keyStore: store)
        let event: [UInt8] = Array(repeating: 7, count: 16), other: [UInt8] = Array(repeating: 8, count: 16)
        let clear = Array(#"{"name":"Fatima"}"#.utf8)
        let sealed = try sealer.seal(clear, keyId: "resident:R0001", fields: ["name"], eventId: event)
        try store.persist()
        XCTAssertNil(sealed.firstRange(of: Array("Fatima".utf8)))
        guard case .clear(let opened) = try sealed.withUnsafeBytes({ s in try event.withUnsafeBytes { try sealer.open(s, eventId: $0) } }) else { return XCTFail() }
        XCTAssertEqual(opened, clear)
        XCTAssertThrowsError(try sealed.withUnsafeBytes { s in try other.withUnsafeBytes { try sealer.open(s, eventId: $0) } }, "bound to its event")
        var tampered = sealed
        tampered[tampered.count - 3] ^= 1
        XCTAssertThrowsError(try tampered.withUnsafeBytes { s in try event.withUnsafeBytes { try sealer.open(s, eventId: $0) } })
        // Another process, with the same master key, reads the persisted key.
        let again = Sealer(keyStore: try KeyStore(ledgerPath: dir, masterKey: try MasterKey.load(from: dir + "/a.key")))
        guard case .clear = try sealed.withUnsafeBytes({ s in try event.withUnsafeBytes { try again.open(s, eventId: $0) } }) else { return XCTFail() }
        XCTAssertThrowsError(try KeyStore(ledgerPath: dir, masterKey: try MasterKey.load(from: dir + "/b.key"))) {
            XCTAssertTrue("\($0)".contains("does not match"), "\($0)")
        }
    }

    func testDestroyedKeysLeaveNoCopyInTheStore() throws {
        try MasterKey.create(at: dir + "/a.key")
        let store = try KeyStore(ledgerPath: dir, masterKey: try MasterKey.load(from: dir + "/a.key"))
        let sealer = Sealer(keyStore: store)
        let event: [UInt8] = Array(repeating: 1, count: 16)
        var sealed: [[UInt8]] = []
        for i in 0..<200 { sealed.append(try sealer.seal(Array("{\"n\":\(i)}".utf8), keyId: "resident:R\(1000 + i)", fields: ["n"], eventId: event)) }
        try store.persist()
        let wrapped = try store.storedWrappedKey("resident:R1042")
        XCTAssertNotNil(wrapped)
        XCTAssertEqual(try store.destroy(["resident:R1042"]), 1)
        let file = try Data(contentsOf: URL(fileURLWithPath: dir + "/keystore/data.mdb"))
        XCTAssertNil(file.range(of: Data(wrapped!)), "no free page keeps the destroyed key")
        guard case .erased = try sealed[42].withUnsafeBytes({ s in try event.withUnsafeBytes { try sealer.open(s, eventId: $0) } }) else { return XCTFail() }
        guard case .clear = try sealed[43].withUnsafeBytes({ s in try event.withUnsafeBytes { try sealer.open(s, eventId: $0) } }) else { return XCTFail() }
    }
}
