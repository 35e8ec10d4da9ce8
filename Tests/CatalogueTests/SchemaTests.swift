import XCTest
@testable import Catalogue
@testable import JSON

final class SchemaTests: XCTestCase {
    let parser = JSONParser()

    func schema(_ text: String) throws -> Schema {
        try Schema.compile(try parser.value(Array(text.utf8)), file: "test.json")
    }

    /// The failure for `document`, or nil when valid.
    func check(_ schema: Schema, _ document: String) throws -> ValidationFailure? {
        try parser.parse(document) { schema.validate($0) }
    }

    func testTypesRequiredAndAdditionalProperties() throws {
        let s = try schema(#"{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":["string","null"]}},"required":["a"],"additionalProperties":false}"#)
        XCTAssertNil(try check(s, #"{"a":3}"#))
        XCTAssertNil(try check(s, #"{"a":3.0,"b":null}"#), "3.0 is an integer")
        XCTAssertEqual(try check(s, #"{"b":"x"}"#), ValidationFailure(path: "/a", rule: "is required"))
        XCTAssertEqual(try check(s, #"{"a":3.5}"#)?.path, "/a")
        XCTAssertEqual(try check(s, #"{"a":1,"c":1}"#)?.path, "/c")
        XCTAssertEqual(try check(s, #"[1]"#)?.rule, "must be object, not array")
    }

    func testEnumConstBoundsAndLengths() throws {
        let s = try schema(#"{"type":"object","properties":{"e":{"enum":["warm","cold"]},"c":{"const":7},"n":{"type":"number","minimum":0,"maximum":10},"t":{"type":"string","minLength":2,"maxLength":3}}}"#)
        XCTAssertNil(try check(s, #"{"e":"warm","c":7,"n":10,"t":"éé"}"#), "lengths count characters, not bytes")
        XCTAssertEqual(try check(s, #"{"e":"hot"}"#)?.rule, #"must be one of "warm", "cold""#)
        XCTAssertEqual(try check(s, #"{"c":8}"#)?.rule, "must be 7")
        XCTAssertEqual(try check(s, #"{"n":-1}"#)?.rule, "must be at least 0")
        XCTAssertEqual(try check(s, #"{"n":10.5}"#)?.rule, "must be at most 10")
        XCTAssertEqual(try check(s, #"{"t":"é"}"#)?.rule, "must be at least 2 characters long")
        XCTAssertEqual(try check(s, #"{"t":"abcd"}"#)?.rule, "must be at most 3 characters long")
    }

    func testItemsAndArrayBounds() throws {
        let s = try schema(#"{"type":"array","items":{"type":"string","enum":["a","b"]},"minItems":1,"maxItems":2}"#)
        XCTAssertNil(try check(s, #"["a","b"]"#))
        XCTAssertEqual(try check(s, #"[]"#)?.rule, "must have at least 1 items")
        XCTAssertEqual(try check(s, #"["a","a","a"]"#)?.rule, "must have at most 2 items")
        XCTAssertEqual(try check(s, #"["a","c"]"#)?.path, "/1")
    }

    func testFormats() throws {
        let s = try schema(#"{"type":"object","properties":{"d":{"type":"string","format":"date"},"t":{"type":"string","format":"date-time"},"u":{"type":"string","format":"uuid"}}}"#)
        XCTAssertNil(try check(s, #"{"d":"2024-02-29","t":"2024-02-29T10:00:00+01:00","u":"0190f6d2-8a4b-7c3e-9d2f-1a2b3c4d5e6f"}"#))
        XCTAssertEqual(try check(s, #"{"d":"2023-02-29"}"#)?.path, "/d")
        XCTAssertEqual(try check(s, #"{"t":"2024-02-29"}"#)?.path, "/t", "a date is not a date-time")
        XCTAssertEqual(try check(s, #"{"u":"not-a-uuid"}"#)?.path, "/u")
    }

    func testRefsIntoDefs() throws {
        let s = try schema(##"{"type":"object","properties":{"r":{"$ref":"#/$defs/resident","x-data-class":"P"}},"$defs":{"resident":{"type":"string","pattern":"^R[0-9]{4}$"}}}"##)
        XCTAssertNil(try check(s, #"{"r":"R1234"}"#))
        XCTAssertEqual(try check(s, #"{"r":"R12"}"#)?.rule, "must match the pattern ^R[0-9]{4}$")
        XCTAssertThrowsError(try schema(##"{"$ref":"#/$defs/none"}"##))
        XCTAssertThrowsError(try schema(#"{"$ref":"other.json#/x"}"#))
    }

    func testKeywordsOutsideTheSubsetAreRefusedLoudly() {
        for keyword in [#""oneOf":[]"#, #""exclusiveMinimum":1"#, #""patternProperties":{}"#, #""if":{}"#] {
            XCTAssertThrowsError(try schema("{\(keyword)}")) { error in
                XCTAssertTrue("\(error)".contains("unsupported keyword"), "\(error)")
            }
        }
        XCTAssertThrowsError(try schema(#"{"format":"email"}"#))
        XCTAssertThrowsError(try schema(#"{"type":"text"}"#))
        XCTAssertThrowsError(try schema(#"{"pattern":"(unclosed"}"#))
        XCTAssertNoThrow(try schema(#"{"x-data-class":"N","title":"t","description":"d","$comment":"c"}"#))
    }
}

final class PatternTests: XCTestCase {
    /// The fast matcher must agree with POSIX regular expressions wherever it takes over.
    func testFastMatcherAgreesWithPOSIX() throws {
        let patterns = ["^R[0-9]{4,10}$", "^(R[0-9]{4,10}|org-[a-z0-9][a-z0-9-]{1,48})$", "^[^@ ]+@[^@ ]+$",
                        "^\\+?[0-9 ()-]{6,20}$", "^referral-[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", "ab?c", "x*y+z",
                        "\\d{2}-\\w+", "^(ja|nee)$", "^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$", "^(a|b)c(d|e)$"]
        let inputs = ["R1234", "R12", "R12345678901", "org-abc", "org-a", "org--", "a@b", "a b@c", "@x", "+31 (0)6-1234",
                      "06-12345678", "referral-2024-0042", "referral-", "referral-x/y", "ac", "abc", "abbc", "yz", "xxyyz", "z",
                      "a", "b", "ba", "acd", "bce", "ace", "acf", "12-ab", "1-ab", "ja", "nee", "jaa", "BU00340102", "-x", "", "é@ü", "Öztürk@x"]
        for source in patterns {
            let fast = try XCTUnwrap(FastPattern(source), "the fast matcher should take \(source)")
            let posix = try Pattern(posixOnly: source)
            for input in inputs {
                var text = input
                let expected = text.withUTF8 { posix.matchesPOSIX(UnsafeRawBufferPointer($0)) }
                let actual = text.withUTF8 { fast.matches(UnsafeRawBufferPointer($0)) }
                XCTAssertEqual(actual, expected, "\(source) on \"\(input)\"")
            }
        }
    }

    func testPatternsOutsideTheFastSubsetFallBack() throws {
        for source in ["(ab)+", "a{2}?", "[[:alpha:]]", ".{3}", "é+", "\\bword", "^a|b$"] {
            XCTAssertNil(FastPattern(source), source)
        }
        var text = "xb"
        XCTAssertTrue(try text.withUTF8 { try Pattern("^a|b$").matches(UnsafeRawBufferPointer($0)) }, "b$ alone matches")
        let nonCapturing = try XCTUnwrap(FastPattern("^(?:ja|nee)$"))
        for (input, expected) in [("nee", true), ("ja", true), ("neee", false), ("jaja", false)] {
            var t = input
            XCTAssertEqual(t.withUTF8 { nonCapturing.matches(UnsafeRawBufferPointer($0)) }, expected, input)
        }
    }
}
