import Foundation
import XCTest
@testable import Catalogue
@testable import Ledger
@testable import Privacy
import Crypto

final class PrivacyTests: XCTestCase {
    var dir = ""
    override func setUp() {
        dir = NSTemporaryDirectory() + "buurtboek-privacy-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// The libcrypto sealing path produces what swift-crypto produces and opens, byte for byte,
    /// and the RFC 8439 (section 2.8.2) test vector's tag.
    func testSealingThroughLibcryptoIsChaChaPolyOfRFC8439() throws {
        let key = SymmetricKey(data: (0x80...0x9f).map { UInt8($0) })
        let nonce: [UInt8] = [0x07, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47]
        let aad: [UInt8] = [0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7]
        let message = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        // The associated data in two pieces, as the sealer passes header and event id.
        let ours = try message.withUnsafeBytes { m in
            try aad.withUnsafeBytes { a in
                try AEAD.seal(m, key: key, nonce: nonce, associatedData: UnsafeRawBufferPointer(rebasing: a[..<5]),
                              UnsafeRawBufferPointer(rebasing: a[5...]))
            }
        }
        let theirs = try ChaChaPoly.seal(message, using: key, nonce: try ChaChaPoly.Nonce(data: nonce), authenticating: aad).combined
        XCTAssertEqual(ours, Array(theirs))
        XCTAssertEqual(ours.suffix(16).map { String(format: "%02x", $0) }.joined(), "1ae10b594f09e26a7e902ecbd0600691")
        XCTAssertEqual(Array(try ChaChaPoly.open(try ChaChaPoly.SealedBox(combined: ours), using: key, authenticating: aad)), message)
        // Nothing to encrypt still authenticates.
        let empty = try [UInt8]().withUnsafeBytes { m in try aad.withUnsafeBytes { try AEAD.seal(m, key: key, nonce: nonce, associatedData: $0) } }
        XCTAssertEqual(empty.count, 12 + 16)
        XCTAssertEqual(Array(try ChaChaPoly.open(try ChaChaPoly.SealedBox(combined: empty), using: key, authenticating: aad)), [])
    }

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

    /// Preparing threads look keys up and make new ones while the writer stores them and the
    /// store's map grows: LMDB resizes a map only with no transaction of the process open, and a
    /// resize under a reading thread crashed an import. Four threads seal under fresh keys into
    /// a store that starts at 64 KiB, while this thread persists; every key is stored and opens.
    func testKeysAreLookedUpWhileTheStoreGrowsUnderThem() throws {
        try MasterKey.create(at: dir + "/a.key")
        let master = try MasterKey.load(from: dir + "/a.key")
        let store = try KeyStore(ledgerPath: dir, masterKey: master, initialMapSize: 64 << 10)
        let sealer = Sealer(keyStore: store)
        let event: [UInt8] = Array(repeating: 3, count: 16)
        let perThread = 1_500
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var sealed: [[UInt8]]
            var failure: Error?
            init(count: Int) { sealed = Array(repeating: [], count: count) }
        }
        let results = Results(count: 4 * perThread)
        let group = DispatchGroup()
        for t in 0..<4 {
            DispatchQueue.global().async(group: group) {
                let mine = sealer.forOneThread()
                for i in 0..<perThread {
                    // Half of them under a key another thread makes too.
                    let id = i % 2 == 0 ? "resident:T\(t)-\(i)" : "resident:S\(i)"
                    let outcome = Result { try mine.seal(Array("{\"n\":\(i)}".utf8), keyId: id, fields: ["n"], eventId: event) }
                    results.lock.lock()
                    switch outcome {
                    case .success(let section): results.sealed[t * perThread + i] = section
                    case .failure(let error): results.failure = results.failure ?? error
                    }
                    results.lock.unlock()
                }
            }
        }
        while group.wait(timeout: .now() + .milliseconds(2)) == .timedOut { try store.persist() }
        try store.persist()
        XCTAssertNil(results.failure)
        XCTAssertGreaterThan(try store.storedMapSize(), 64 << 10, "the map grew")
        let reopened = Sealer(keyStore: try KeyStore(ledgerPath: dir, masterKey: master))
        for (i, section) in results.sealed.enumerated() {
            guard case .clear(let clear) = try section.withUnsafeBytes({ s in try event.withUnsafeBytes { try reopened.open(s, eventId: $0) } }) else {
                return XCTFail("section \(i) does not open")
            }
            XCTAssertEqual(clear, Array("{\"n\":\(i % perThread)}".utf8))
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
        guard case .keyMissing = try sealed[42].withUnsafeBytes({ s in try event.withUnsafeBytes { try sealer.open(s, eventId: $0) } }) else { return XCTFail() }
        guard case .clear = try sealed[43].withUnsafeBytes({ s in try event.withUnsafeBytes { try sealer.open(s, eventId: $0) } }) else { return XCTFail() }
    }
}
