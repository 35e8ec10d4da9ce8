import Foundation
import XCTest
@testable import LMDB

final class TypedDatabaseTests: XCTestCase {
    var path = ""
    override func setUp() { path = temporaryDirectory("typed") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: path) }

    func testValuesRoundTripAndKeysSortNumerically() throws {
        let env = try Environment(path: path)
        let notes = TypedDatabase<BigEndianU64, UTF8Text>(try env.databases([("notes", [])], create: true)[0])
        try env.write { txn in
            // Written out of order: big-endian keys come back in numeric order (257 after 2).
            for size in [257, 2, 65_536, 1] as [UInt64] { try notes.put(txn, size, "note \(size) ✓") }
            XCTAssertEqual(try notes.insertIfAbsent(txn, 2, "another"), "note 2 ✓", "an existing value is given back, not replaced")
            XCTAssertNil(try notes.insertIfAbsent(txn, 3, "note 3"))
        }
        try env.read { txn in
            XCTAssertEqual(try notes.get(txn, 257), "note 257 ✓")
            XCTAssertNil(try notes.get(txn, 4))
            var keys: [UInt64] = []
            try notes.forEach(txn) { key, _ in keys.append(key); return true }
            XCTAssertEqual(keys, [1, 2, 3, 257, 65_536])
            keys = []
            try notes.forEach(txn, from: 3) { key, _ in keys.append(key); return key < 257 }
            XCTAssertEqual(keys, [3, 257], "from a key, until the body says stop")
            XCTAssertEqual(try notes.last(txn)?.key, 65_536)
            XCTAssertEqual(try notes.count(txn), 5)
        }
    }

    func testAMalformedStoredValueIsAnErrorNamingTheDatabase() throws {
        let env = try Environment(path: path)
        let raw = try env.databases([("history", [])], create: true)[0]
        let history = TypedDatabase<BigEndianU64, BigEndianU32>(raw)
        try env.write { txn in
            try history.put(txn, 1, 7)
            try txn.put(raw, Array(withUnsafeBytes(of: UInt64(2).bigEndian) { Array($0) }), [1, 2, 3])  // 3 bytes, not 4
            try txn.put(raw, [9], [0, 0, 0, 1])  // a 1-byte key
        }
        try env.read { txn in
            XCTAssertEqual(try history.get(txn, 1), 7)
            XCTAssertThrowsError(try history.get(txn, 2)) { error in
                XCTAssertEqual("\(error)", "the history database holds a value of 3 bytes at key 2 where 4 bytes (a big-endian u32) belongs")
            }
            XCTAssertThrowsError(try history.forEach(txn, from: 3) { _, _ in true }) { error in
                XCTAssertEqual("\(error)", "the history database holds a key of 1 bytes where 8 bytes (a big-endian u64) belongs")
            }
            XCTAssertThrowsError(try history.forEach(txn) { _, _ in true }) { error in
                XCTAssertEqual("\(error)", "the history database holds a value of 3 bytes at key 2 where 4 bytes (a big-endian u32) belongs")
            }
            // Invalid UTF-8 is refused as text rather than decoded with replacement characters.
            XCTAssertNil([UInt8(0xFF), 0xFE].withUnsafeBytes { UTF8Text.decode($0) })
        }
    }

    func testAWriteTransactionsCursorWritesWhereItStands() throws {
        // A read transaction's cursor (`ReadCursor`) has no put at all, which the compiler
        // checks; a write transaction's (`Cursor`) writes.
        let env = try Environment(path: path)
        let db = try env.databases([("things", [])], create: true)[0]
        try env.write { txn in
            let cursor: Cursor = try txn.cursor(db)
            try [UInt8(1)].withUnsafeBytes { k in try [UInt8(2)].withUnsafeBytes { v in try cursor.put(k, v) } }
        }
        let stored = try env.read { txn in try txn.cursor(db).first().map { (Array($0.key), Array($0.value)) } }
        XCTAssertEqual(stored?.0, [1])
        XCTAssertEqual(stored?.1, [2])
    }
}
