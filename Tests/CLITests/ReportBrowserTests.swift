import Foundation
import XCTest

/// The HTML report as a person sees it: rendered by headless Chromium (Debian's `chromium`,
/// which Tools/setup installs). Skipped, with a message, where no browser is installed.
final class ReportBrowserTests: LedgerTestCase {

    static let browser: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs the browser, its output into files (its verbose log would fill a pipe while the
    /// other is read), and stops it after `timeout` seconds whatever it does.
    func browse(_ arguments: [String], timeout: TimeInterval = 90) throws -> CLI.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.browser!)
        process.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(work)/profile"] + arguments
        let outPath = work + "/browser.out", errPath = work + "/browser.err"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            XCTFail("the browser did not finish in \(Int(timeout)) s")
        }
        return CLI.Result(status: process.terminationStatus, stdout: try String(contentsOfFile: outPath, encoding: .utf8),
                          stderr: try String(contentsOfFile: errPath, encoding: .utf8))
    }

    func testTheReportRendersWithoutErrorsAndEveryChartExplainsItself() throws {
        guard Self.browser != nil else { throw XCTSkip("no Chromium here (Tools/setup installs Debian's chromium): the report was not looked at in a browser") }
        let year = work + "/year.jsonl"
        try CLI.year(events: 8_000, seed: 21).write(to: URL(fileURLWithPath: year))
        assertExit(try CLI.run(["import", year], ledger: ledger), 0)
        // An event of today, months after the generated year: the month axis has a gap to show.
        assertExit(try CLI.run(["append", "contact.recorded", "--stream", "contact-today", "--neighbourhood", "BU0363AA01",
                                "--field", "mode=phone", "--field", "topics=money"], ledger: ledger), 0)
        let page = work + "/report.html"
        assertExit(try CLI.run(["report", "all", "--format", "html", "--out", page], ledger: ledger), 0)

        let rendered = try browse(["--enable-logging=stderr", "--v=1", "--dump-dom", "file://" + page])
        XCTAssertEqual(rendered.status, 0, rendered.stderr.suffix(2000).description)
        let console = rendered.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }
        XCTAssertEqual(console, [], "the browser's console")
        let dom = rendered.stdout
        let charts = dom.components(separatedBy: "<svg").dropFirst()
        XCTAssertGreaterThan(charts.count, 8, "the report has its charts")
        for chart in charts {
            let svg = chart.components(separatedBy: "</svg>")[0]
            let title = svg.firstMatch(of: /aria-label="([^"]*)"/).map { String($0.1) } ?? "?"
            XCTAssertTrue(svg.contains("class=\"legend\"") || svg.contains("class=\"axis\""), "the chart \(title) has neither a legend nor an axis")
            if svg.contains("url(#h)") && svg.contains("<rect") { XCTAssertTrue(svg.contains("hatched: fewer than"), "\(title): hatching explained") }
        }
        XCTAssertTrue(dom.contains("scale</text>"), "heatmaps carry a colour scale")
        XCTAssertTrue(dom.contains("no events from "), "the months without events are shown as a gap")
        XCTAssertTrue(dom.contains("the month is not over"), "the partial last month is marked")
        XCTAssertNotNil(dom.firstMatch(of: /<td class="n">[0-9]{1,3},[0-9]{3}<\/td>/), "counts have thousands separators")
        XCTAssertTrue(dom.contains("Referral funnel: made → accepted → first contact → completed"))

        let shot = work + "/report.png"
        let screenshot = try browse(["--hide-scrollbars", "--window-size=1280,2400", "--screenshot=\(shot)", "file://" + page])
        XCTAssertEqual(screenshot.status, 0, screenshot.stderr.suffix(2000).description)
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "a PNG")
        XCTAssertGreaterThan(png.count, 50_000, "a page with something on it")
    }
}
