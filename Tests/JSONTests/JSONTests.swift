import XCTest
@testable import JSON
import TextFormats

final class JSONTests: XCTestCase {
    let parser = JSONParser()

    func canonical(_ text: String) throws -> String {
        try parser.parse(text) { node in
            var out: [UInt8] = []
            try node.writeCanonical(into: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    func testCanonicalFormSortsKeysAndDropsWhiteSpace() throws {
        XCTAssertEqual(try canonical(#"{ "b": [1, 2.50, true, null], "a": {"z": "x", "y": -0.001} }"#),
                       #"{"a":{"y":-0.001,"z":"x"},"b":[1,2.5,true,null]}"#)
        XCTAssertEqual(try canonical(#"{"n": 1.0, "big": 1e3}"#), #"{"big":1000,"n":1}"#)
    }

    func testStringsKeepUnicodeAndEscapeOnlyWhatJSONRequires() throws {
        XCTAssertEqual(try canonical(#"{"s":"Öztürk \"quoted\" \\ \n\t\u0001 €"}"#),
                       "{\"s\":\"Öztürk \\\"quoted\\\" \\\\ \\n\\t\\u0001 €\"}")
    }

    func testDuplicateKeysAreRefused() {
        XCTAssertThrowsError(try canonical(#"{"a":1,"a":2}"#)) { error in
            XCTAssertTrue("\(error)".contains("appears twice"))
        }
    }

    func testMalformedAndNonUTF8InputIsRefused() {
        XCTAssertThrowsError(try parser.parse("{\"a\":") { _ in })
        XCTAssertThrowsError(try parser.parse([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D]) { _ in }) { error in
            XCTAssertTrue("\(error)".lowercased().contains("utf-8"), "\(error)")
        }
    }

    func testNodeAccess() throws {
        try parser.parse(#"{"a":[1,"x",{"b":false}],"c":18446744073709551615}"#) { root in
            XCTAssertEqual(root.kind, .object)
            XCTAssertEqual(root.count, 2)
            let a = root["a"]!
            XCTAssertEqual(a.elements.map(\.kind), [.int, .string, .object])
            XCTAssertEqual(Array(a.elements)[2]["b"]?.bool, false)
            XCTAssertNil(root["c"]!.int, "does not fit Int64")
            XCTAssertNil(root["zz"])
        }
    }

    func testTimestampsRoundTrip() {
        XCTAssertEqual(RFC3339.parse("1970-01-01T00:00:00Z"), 0)
        XCTAssertEqual(RFC3339.parse("2024-03-05T14:30:00+01:00"), RFC3339.parse("2024-03-05T13:30:00Z"))
        XCTAssertEqual(RFC3339.parse("2024-02-29T00:00:00.5Z"), RFC3339.parse("2024-02-29T00:00:00Z")! + 500_000)
        XCTAssertNil(RFC3339.parse("2023-02-29T00:00:00Z"), "not a leap year")
        XCTAssertNil(RFC3339.parse("2024-03-05T25:00:00Z"))
        XCTAssertNil(RFC3339.parse("2024-03-05T14:30:00"), "needs an offset")
        for micros: Int64 in [0, 1, 1_709_648_200_123_456, -86_400_000_001, 253_402_300_799_000_000] {
            XCTAssertEqual(RFC3339.parse(RFC3339.format(micros)), micros)
        }
        XCTAssertEqual(RFC3339.format(1_709_648_200_120_000), "2024-03-05T14:16:40.12Z")
    }

    func testUUIDs() {
        let text = "0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e6f"
        XCTAssertEqual(UUIDText.parse(text).map(UUIDText.format), text)
        XCTAssertEqual(UUIDText.parse(text.uppercased()).map(UUIDText.format), text)
        XCTAssertNil(UUIDText.parse("0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e6"))
        XCTAssertNil(UUIDText.parse("0190f6d2x8a4b-7c3e-9d2f-1a2b3c4d5e6f"))
        // A byte that is no hex digit, in a high and in a low nibble, anywhere.
        XCTAssertNil(UUIDText.parse("0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e6g"))
        XCTAssertNil(UUIDText.parse("g190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e6f"))
        XCTAssertNil(UUIDText.parse("0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e-f"))
        XCTAssertNil(UUIDText.parse("0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5\u{E9}f"))
    }

    func testCalendarRoundTripsEveryDayOfFourCenturies() {
        for day in stride(from: -146_097, to: 146_097, by: 1) {
            let (y, m, d) = Calendar.civil(day)
            XCTAssertEqual(Calendar.days(year: y, month: m, day: d), day)
        }
    }
}
