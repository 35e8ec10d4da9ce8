import Foundation
import XCTest
@testable import LMDB

func temporaryDirectory(_ name: String = "lmdb") -> String {
    let path = NSTemporaryDirectory() + "buurtboek-test-\(name)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

final class EnvironmentTests: XCTestCase {
    var path = ""
    override func setUp() { path = temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: path) }

    func testWriteThenReadZeroCopy() throws {
        let env = try Environment(path: path)
        let db = try env.databases([("things", [])], create: true)[0]
        try env.write { try $0.put(db, Array("k".utf8), Array("value".utf8)) }
        let value = try env.read { txn in try txn.get(db, Array("k".utf8)).map { String(decoding: $0, as: UTF8.self) } }
        XCTAssertEqual(value, "value")
        XCTAssertNil(try env.read { try $0.get(db, Array("missing".utf8)) })
    }

    func testAThrowAbortsTheTransaction() throws {
        let env = try Environment(path: path)
        let db = try env.databases([("things", [])], create: true)[0]
        struct Stop: Error {}
        XCTAssertThrowsError(try env.write { txn in
            try txn.put(db, Array("k".utf8), Array("v".utf8))
            throw Stop()
        })
        XCTAssertNil(try env.read { try $0.get(db, Array("k".utf8)) })
    }

    func testNoOverwriteSurfacesKeyExists() throws {
        let env = try Environment(path: path)
        let db = try env.databases([("things", [])], create: true)[0]
        XCTAssertThrowsError(try env.write { txn in
            try txn.put(db, [1], [1])
            try txn.put(db, [1], [2], options: .noOverwrite)
        }) { error in
            XCTAssertTrue((error as? LMDBError)?.isKeyExists == true)
            XCTAssertTrue("\(error)".contains("MDB_KEYEXIST"))
        }
    }

    func testCursorsAndSortedDuplicates() throws {
        let env = try Environment(path: path)
        let db = try env.databases([("dups", [.duplicateSort, .duplicateFixed])], create: true)[0]
        try env.write { txn in
            for value: UInt8 in [3, 1, 2] { try txn.put(db, [7], [0, value]) }
            try txn.put(db, [9], [0, 5])
        }
        try env.read { txn in
            let cursor = try txn.cursor(db)
            XCTAssertNotNil(try cursor.find([7]))
            XCTAssertEqual(try cursor.duplicateCount(), 3)
            XCTAssertEqual(Array(try cursor.lastDuplicate()!.value), [0, 3])
            var keys: [UInt8] = []
            var entry = try cursor.first()
            while let e = entry { keys.append(e.key[0]); entry = try cursor.nextKey() }
            XCTAssertEqual(keys, [7, 9])
            XCTAssertEqual(try txn.count(db), 4)
        }
    }

    func testTheMapGrowsWhenFull() throws {
        // A 1 MiB map holds far less than 8 MiB of values: the write must grow it and retry.
        let env = try Environment(path: path, initialMapSize: 1 << 20)
        let db = try env.databases([("big", [])], create: true)[0]
        var runs = 0
        try env.write { txn in
            runs += 1
            for i in 0..<2048 { try txn.put(db, withUnsafeBytes(of: UInt32(i).bigEndian) { Array($0) }, [UInt8](repeating: 7, count: 4096)) }
        }
        XCTAssertGreaterThan(runs, 1, "the closure was retried after MDB_MAP_FULL")
        XCTAssertGreaterThan(env.info.mapSize, 8 << 20)
        XCTAssertEqual(try env.read { try $0.count(db) }, 2048)
    }

    func testOpeningMissingDatabasesWithoutCreateFails() throws {
        let env = try Environment(path: path)
        XCTAssertThrowsError(try env.databases([("absent", [])], create: false)) { error in
            XCTAssertTrue((error as? LMDBError)?.isNotFound == true)
        }
    }
}
