import XCTest
@testable import Reports

final class ReportsTests: XCTestCase {
    func testOrderStatistics() {
        XCTAssertEqual(Statistics.median([4, 1, 3, 2]), 2.5)
        XCTAssertEqual(Statistics.median([5]), 5)
        XCTAssertNil(Statistics.median([]))
        XCTAssertEqual(Statistics.medianAndPercentile90((1...10).map(Double.init)).p90, 9, "nearest rank: the 9th of 10")
        XCTAssertEqual(Statistics.medianAndPercentile90((1...11).map(Double.init)).p90, 10, "the 10th of 11 (0.9·11 = 9.9, up)")
        XCTAssertEqual(Statistics.medianAndPercentile90([7]).p90, 7)
        XCTAssertEqual(Statistics.medianAndPercentile90([4, 1, 3, 2]).median, 2.5)
        XCTAssertNil(Statistics.medianAndPercentile90([]).p90)
        XCTAssertEqual(Statistics.days(0, 86_400_000_000 * 3 / 2), 1.5)
        XCTAssertNil(Statistics.days(10, 5), "a step before its start has no duration")
    }

    func testSmallCellsAreSuppressedAndWhatRestsOnThemWithheld() {
        let s = Suppression(threshold: 5)
        XCTAssertEqual(s.show(.count(0)), .number(0, decimals: 0), "a zero names no one")
        XCTAssertEqual(s.show(.count(4)), .suppressed("<5"))
        XCTAssertEqual(s.show(.count(5)), .number(5, decimals: 0))
        XCTAssertEqual(s.show(.rate(3, of: 10)), .withheld, "the numerator is small")
        XCTAssertEqual(s.show(.rate(4, of: 4)), .withheld, "the denominator is small")
        XCTAssertEqual(s.show(.rate(0, of: 10)), .number(0, decimals: 3))
        XCTAssertEqual(s.show(.rate(5, of: 10)), .number(0.5, decimals: 3))
        XCTAssertEqual(s.show(.statistic(3.2, n: 4)), .withheld)
        XCTAssertEqual(s.show(.statistic(3.2, n: 5)), .number(3.2, decimals: 1))
        XCTAssertEqual(s.show(.amount(2.5)), .number(2.5, decimals: 1), "hours count no one")
        XCTAssertEqual(Suppression(threshold: 1).show(.count(1)), .number(1, decimals: 0))
    }

    let report = Report(name: "t", title: "T", scope: "scope", sections: [
        Section(id: "a", title: "A", columns: ["group", "n", "share"], rows: [
            [.text("x, \"quoted\""), .count(3), .rate(1, of: 2)],
            [.text("<script>"), .count(12), .rate(6, of: 12)],
        ], charts: [.bars(title: "bars", labels: ["x", "y"], values: [.count(3), .count(12)])]),
        Section(id: "b", title: "B", columns: ["other"], rows: [[.text("o")]]),
    ])

    func testTextFormats() throws {
        let s = Suppression(threshold: 5)
        let table = TableRenderer.render(report, suppression: s)
        XCTAssertTrue(table.contains("<5") && table.contains("–") && table.contains("50.0%"), table)
        let (csv, omitted) = CSVRenderer.render(report, suppression: s)
        XCTAssertEqual(csv, "section,group,n,share\r\na,\"x, \"\"quoted\"\"\",<5,\r\na,<script>,12,0.500\r\n")
        XCTAssertEqual(omitted, ["b"])
        let json = JSONRenderer.render(report, suppression: s)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        let rows = (object["sections"] as! [[String: Any]])[0]["rows"] as! [[String: Any]]
        XCTAssertEqual(rows[0]["n"] as? String, "<5")
        XCTAssertTrue(rows[0]["share"] is NSNull)
        XCTAssertEqual(rows[1]["share"] as? Double, 0.5)
    }

    func testHTMLIsSelfContainedAndEscaped() {
        let html = HTMLRenderer.render([report], suppression: Suppression(threshold: 5), generated: "now")
        XCTAssertFalse(html.contains("<script>"), "labels are escaped")
        XCTAssertTrue(html.contains("&lt;script&gt;"))
        XCTAssertTrue(html.contains("<svg") && html.contains("url(#h)"), "a suppressed bar is drawn hatched")
        XCTAssertFalse(html.contains("src=") || html.contains("href=\"http"))
    }

    func testNumbersRoundHalfAwayAndKeepTheirDecimals() {
        XCTAssertEqual(NumberText.plain(0.1234, decimals: 3), "0.123")
        XCTAssertEqual(NumberText.plain(2.0, decimals: 1), "2.0")
        XCTAssertEqual(NumberText.plain(-1.25, decimals: 1), "-1.3")
        XCTAssertEqual(NumberText.plain(-0.04, decimals: 1), "0.0")
        XCTAssertEqual(NumberText.plain(12, decimals: 0), "12")
    }
}
