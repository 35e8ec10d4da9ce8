import Foundation
import XCTest

/// The analysts' surface: every indicator checked against an independent fold over the export,
/// prefix replays against incremental projection, time in two dimensions, corrections and
/// upcasting as reports see them, privacy of the outputs, and bad input.
final class AnalystReportTests: LedgerTestCase {
    /// A generated year in the ledger; returns the input lines (for the sealed scores).
    @discardableResult
    func importYear(events: Int = 30_000, seed: Int = 5) throws -> Data {
        let year = try CLI.year(events: events, seed: seed)
        let file = work + "/year.jsonl"
        try year.write(to: URL(fileURLWithPath: file))
        assertExit(try CLI.run(["import", file], ledger: ledger), 0)
        return year
    }

    func reportJSON(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [String: [[String: Any]]] {
        let result = try CLI.run(["report"] + args + ["--format", "json", "--suppress-below", "1"], ledger: ledger)
        assertExit(result, 0, file: file, line: line)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        var out: [String: [[String: Any]]] = [:]
        for section in object["sections"] as! [[String: Any]] { out[section["id"] as! String] = section["rows"] as? [[String: Any]] ?? [] }
        return out
    }

    /// Compares report rows with the reference, every column the reference has.
    func compare(_ rows: [[String: Any]], _ expected: ReferenceFold.Rows, key: ([String: Any]) -> String,
                 _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        var actual: [String: [String: Any]] = [:]
        for row in rows { actual[key(row)] = row }
        XCTAssertEqual(Set(actual.keys), Set(expected.keys), "\(what): the rows differ", file: file, line: line)
        var compared = 0
        for (label, columns) in expected {
            guard let row = actual[label] else { continue }
            for (column, value) in columns {
                let got = row[column] as? NSNumber
                guard let value else {
                    XCTAssertNil(got, "\(what) \(label) \(column): expected no value, got \(String(describing: got))", file: file, line: line)
                    continue
                }
                guard let got else { XCTFail("\(what) \(label) \(column): missing, expected \(value)", file: file, line: line); continue }
                let tolerance = column.contains("rate") || column.contains("share") ? 0.0006
                    : column == "density" ? 0.00006
                    : column.contains("median") || column.contains("p90") || column.contains("mean") || column.contains("hours") || column.contains("amount") ? 0.051
                    : 0
                XCTAssertEqual(got.doubleValue, value, accuracy: tolerance, "\(what) \(label) \(column)", file: file, line: line)
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 0, "\(what): nothing compared", file: file, line: line)
    }

    func testEveryIndicatorAgreesWithAReferenceFoldOverTheExport() throws {
        let input = try importYear()
        let export = try CLI.run(["export"], ledger: ledger)
        assertExit(export, 0)
        var scores: [String: [String: Any]] = [:]
        for line in String(decoding: input, as: UTF8.self).split(separator: "\n") where line.contains("wellbeing.measured") {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            scores[o["id"] as! String] = o["data"] as? [String: Any]
        }
        func group(_ r: [String: Any]) -> String { r["group"] as! String }
        for period in [[String](), ["--from", "2025-03-01", "--to", "2025-06-30"]] {
            let ref = try ReferenceFold(export: export.stdout, from: period.isEmpty ? nil : "2025-03-01", to: period.isEmpty ? nil : "2025-06-30")
            let label = period.isEmpty ? "all time" : "Mar-Jun"

            let overview = try reportJSON(["neighbourhoods"] + period)
            let expected = ref.overview()
            compare((overview["by-month"] ?? []) + (overview["totals"] ?? []) + (overview["target-groups"] ?? []), expected,
                    key: { r in "\(r["neighbourhood"] as! String)|" + ((r["month"] as? String) ?? "group:\(r["target group"] as! String)") },
                    "neighbourhoods \(label)")

            let referrals = try reportJSON(["referrals"] + period)
            compare(referrals["all"]!, ref.referralRows { _ in "all" }, key: group, "referrals \(label)")
            compare(referrals["by-service"]!, ref.referralRows(\.service), key: group, "referrals by service \(label)")
            compare(referrals["by-organisation"]!, ref.referralRows(\.org), key: group, "referrals by organisation \(label)")
            compare(referrals["by-neighbourhood"]!, ref.referralRows(\.n), key: group, "referrals by neighbourhood \(label)")
            compare(referrals["by-urgency"]!, ref.referralRows(\.urgency), key: group, "referrals by urgency \(label)")

            let signals = try reportJSON(["signals"] + period)
            compare(signals["by-category"]!, ref.signalRows(), key: group, "signals by category \(label)")

            let initiatives = try reportJSON(["initiatives"] + period)
            compare(initiatives["by-theme"]!, ref.initiativeRows { $1.data["theme"] as! String }, key: group, "initiatives by theme \(label)")
            compare(initiatives["by-neighbourhood"]!, ref.initiativeRows { $1.neighbourhood }, key: group, "initiatives by neighbourhood \(label)")

            let volunteers = try reportJSON(["volunteers"] + period)
            compare(volunteers["all"]!, ref.volunteerRows { _, _ in "all" }, key: group, "volunteers \(label)")
            compare(volunteers["by-task"]!, ref.volunteerRows { $1 }, key: group, "volunteers by task \(label)")
            compare(volunteers["by-neighbourhood"]!, ref.volunteerRows { n, _ in n }, key: group, "volunteers by neighbourhood \(label)")

            let network = try reportJSON(["network"] + period)
            compare(network["by-neighbourhood"]!, ref.networkRows(), key: { $0["neighbourhood"] as! String }, "network \(label)")

            let wellbeing = try reportJSON(["wellbeing"] + period)
            compare(wellbeing["by-instrument"]! + wellbeing["by-neighbourhood"]!, ref.wellbeingRows(scores: scores),
                    key: { "\($0["group"] as! String)|\($0["instrument"] as! String)/\($0["item"] as! String)" }, "wellbeing \(label)")
        }
        // --neighbourhood narrows every report to the rows of that neighbourhood.
        let whole = try reportJSON(["referrals"])["by-neighbourhood"]!
        let one = whole[whole.count / 2]
        let code = one["group"] as! String
        let narrowed = try reportJSON(["referrals", "--neighbourhood", code])
        XCTAssertEqual(narrowed["all"]![0]["made"] as? Int, one["made"] as? Int)
        XCTAssertEqual(narrowed["by-neighbourhood"]!.map { $0["group"] as! String }, [code])
        let overview = try reportJSON(["neighbourhoods", "--neighbourhood", code])["totals"]!
        XCTAssertEqual(Set(overview.map { $0["neighbourhood"] as! String }), [code, "all"])
        // The generated year switched to referral.made v2 in July: both shapes were read as one.
        let urgencies = Set(try reportJSON(["referrals"])["by-urgency"]!.map { $0["group"] as! String })
        XCTAssertTrue(urgencies.isSuperset(of: ["unknown", "routine", "urgent"]), "\(urgencies)")
    }

    /// "name vN  position P  ...  digest D" lines of `project` and `replay`.
    func digests(_ output: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in output.split(separator: "\n") where line.contains(" digest ") {
            let words = line.split(separator: " ")
            out[String(words[0])] = String(words.last!)
        }
        return out
    }

    func testReplayingAnyPrefixGivesTheModelsThatProjectingUpToItGave() throws {
        let year = String(decoding: try CLI.year(events: 12_000, seed: 9), as: UTF8.self).split(separator: "\n")
        var imported = 0
        var states: [Int: [String: String]] = [:]
        for cut in [1_500, 6_000, 12_000] {
            let chunk = year[imported..<cut].joined(separator: "\n") + "\n"
            assertExit(try CLI.run(["import", "-"], ledger: ledger, input: Data(chunk.utf8)), 0)
            imported = cut
            let projected = try CLI.run(["project"], ledger: ledger)
            assertExit(projected, 0)
            states[cut] = digests(projected.stdout)
            XCTAssertEqual(states[cut]?.count, 7, projected.stdout)
        }
        for cut in [1_500, 6_000, 12_000] {
            let replay = try CLI.run(["replay", "--at", String(cut)], ledger: ledger)
            assertExit(replay, 0)
            XCTAssertEqual(replay.stderr, "", "no progress line when stderr is not a terminal")
            XCTAssertEqual(digests(replay.stdout), states[cut], "replay --at \(cut)")
        }
        XCTAssertNotEqual(states[1_500], states[12_000])
        assertExit(try CLI.run(["replay", "--check"], ledger: ledger), 0, "match the replay")
        // One thread or two: the same models.
        XCTAssertEqual(digests(try CLI.run(["replay", "--jobs", "1"], ledger: ledger).stdout), states[12_000])
        // --rebuild starts again and comes to the same digests.
        XCTAssertEqual(digests(try CLI.run(["project", "--rebuild"], ledger: ledger).stdout), states[12_000])
    }

    func testActivityInAPeriodAsKnownOnADateDiffersFromWhatIsKnownNow() throws {
        func contact(_ day: String, _ n: Int) throws {
            assertExit(try CLI.run(["append", "contact.recorded", "--stream", "contact-q1-\(n)", "--neighbourhood", "BU00340101",
                                    "--occurred-at", day + "T10:00:00Z", "--field", "mode=home_visit", "--field", "topics=money"],
                                   ledger: ledger), 0)
        }
        for n in 1...6 { try contact("2025-02-0\(n)", n) }
        Thread.sleep(forTimeInterval: 1.1)
        let knownThen = ISO8601DateFormatter().string(from: Date())
        Thread.sleep(forTimeInterval: 1.1)
        // Late entries: recorded now, about the first quarter.
        for n in 7...9 { try contact("2025-03-1\(n - 6)", n) }
        try contact("2025-04-20", 10)
        func contacts(_ extra: [String]) throws -> Int {
            let rows = try reportJSON(["neighbourhoods", "--from", "2025-01-01", "--to", "2025-03-31"] + extra)["totals"]!
            return (rows.first { $0["neighbourhood"] as? String == "BU00340101" }?["contacts"] as? Int) ?? 0
        }
        XCTAssertEqual(try contacts([]), 9, "the first quarter as known now")
        XCTAssertEqual(try contacts(["--as-of", knownThen]), 6, "the first quarter as known before the late entries")
        XCTAssertEqual(try contacts(["--at", "6"]), 6, "the same by position")
        XCTAssertEqual(try contacts(["--as-of", "2020-01-01"]), 0, "before anything was recorded")
        let all = try reportJSON(["neighbourhoods", "--as-of", knownThen])["totals"]!
        XCTAssertEqual(all.first { $0["neighbourhood"] as? String == "BU00340101" }?["contacts"] as? Int, 6)
    }

    func testCorrectionsAndOldVersionsReachTheReports() throws {
        let lines = [
            #"{"type":"referral.made","schemaVersion":1,"stream":"referral-1","neighbourhood":"BU00340101","occurredAt":"2025-02-01T09:00:00Z","data":{"resident_id":"R000001","target_organisation":"org-a1","service":"debt_help","handover":"warm","support_level":"light"}}"#,
            #"{"type":"referral.made","stream":"referral-2","neighbourhood":"BU00340101","occurredAt":"2025-08-01T09:00:00Z","data":{"resident_id":"R000002","target_organisation":"org-a1","service":"debt_help","handover":"cold","support_level":"light","urgency":"urgent"}}"#,
            #"{"type":"initiative.proposed","stream":"initiative-1","neighbourhood":"BU00340101","occurredAt":"2025-02-01T09:00:00Z","data":{"title":"Repair café","theme":"repair_cafe"}}"#,
            #"{"type":"activity.held","stream":"initiative-1","neighbourhood":"BU00340101","occurredAt":"2025-03-01T09:00:00Z","data":{"activity_kind":"repair_cafe","attendance":43}}"#,
        ]
        assertExit(try CLI.run(["import", "-"], ledger: ledger, input: Data((lines.joined(separator: "\n") + "\n").utf8)), 0)
        assertExit(try CLI.run(["project"], ledger: ledger), 0)
        let byUrgency = try reportJSON(["referrals"])["by-urgency"]!
        XCTAssertEqual(Set(byUrgency.map { $0["group"] as! String }), ["unknown", "urgent"], "v1 read through the upcaster")
        func attendance() throws -> Int { try reportJSON(["neighbourhoods"])["totals"]!.first { $0["neighbourhood"] as? String == "BU00340101" }!["attendance"] as! Int }
        XCTAssertEqual(try attendance(), 43)
        assertExit(try CLI.run(["correct", "4", "--reason", "it was 34", "--field", "attendance=34"], ledger: ledger), 0)
        XCTAssertEqual(try attendance(), 34, "the amended value")
        XCTAssertEqual(try reportJSON(["initiatives"])["all"]![0]["attendance"] as? Int, 34)
        assertExit(try CLI.run(["void", "2", "--reason", "recorded twice"], ledger: ledger), 0)
        XCTAssertEqual(try reportJSON(["referrals"])["all"]![0]["made"] as? Int, 1, "the voided referral is gone")
        XCTAssertEqual(try reportJSON(["referrals"])["by-urgency"]!.map { $0["group"] as! String }, ["unknown"])
        assertExit(try CLI.run(["replay", "--check"], ledger: ledger), 0, "match the replay")
        // Replaying to before the corrections shows the original figures.
        XCTAssertEqual(try reportJSON(["neighbourhoods", "--at", "4"])["totals"]!.first { $0["neighbourhood"] as? String == "BU00340101" }!["attendance"] as? Int, 43)
    }

    func testOutputsHoldNoPersonalFieldsNorResidentIdsAndSmallCountsAreSuppressed() throws {
        let input = String(decoding: try importYear(events: 8_000, seed: 3), as: UTF8.self)
        // Every personal (I or S) text of the input: none may reach an analyst.
        var personal: Set<String> = []
        for line in input.split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            for key in ["name", "phone", "email", "address", "summary", "reason", "description", "note", "limits", "report"] {
                if let text = (o["data"] as? [String: Any])?[key] as? String, text.count >= 12 { personal.insert(text) }
            }
        }
        XCTAssertFalse(personal.isEmpty)
        let residentId = try NSRegularExpression(pattern: #"R[0-9]{4,10}"#)
        var outputs: [String] = []
        for name in ["neighbourhoods", "referrals", "signals", "initiatives", "volunteers", "network", "wellbeing"] {
            for format in ["table", "csv", "json", "html"] {
                let result = try CLI.run(["report", name, "--format", format], ledger: ledger)
                assertExit(result, 0)
                outputs.append(result.stdout)
            }
        }
        for format in ["graphml", "dot"] { outputs.append(try CLI.run(["report", "network", "--format", format], ledger: ledger).stdout) }
        for output in outputs {
            XCTAssertNil(residentId.firstMatch(in: output, range: NSRange(output.startIndex..., in: output)), "a resident id in: \(output.prefix(300))")
            for text in personal { XCTAssertFalse(output.contains(text), "personal text \(text) in an output") }
        }
        // Default threshold 5: some small counts are shown as <5 and their rates withheld.
        let table = try CLI.run(["report", "referrals", "--section", "by-organisation"], ledger: ledger).stdout
        XCTAssertTrue(table.contains("<5"), table)
        let strict = try CLI.run(["report", "referrals", "--section", "all", "--format", "json", "--suppress-below", "100000"], ledger: ledger)
        let row = ((try JSONSerialization.jsonObject(with: Data(strict.stdout.utf8)) as! [String: Any])["sections"] as! [[String: Any]])[0]["rows"] as! [[String: Any]]
        XCTAssertEqual(row[0]["made"] as? String, "<100000")
        XCTAssertTrue(row[0]["completion rate"] is NSNull, "a rate on a suppressed count is withheld")
        // The HTML page is self-contained: charts inline, nothing fetched, no script.
        let html = try CLI.run(["report", "all", "--format", "html", "--out", work + "/all.html"], ledger: ledger)
        assertExit(html, 0, "all.html")
        let page = try String(contentsOfFile: work + "/all.html", encoding: .utf8)
        XCTAssertTrue(page.contains("<svg") && page.contains("Neighbourhood overview") && page.contains("Wellbeing"))
        for forbidden in ["<script", "src=", "href=\"http", "url(http", "@import"] { XCTAssertFalse(page.contains(forbidden), forbidden) }
        // CSV: one header, the same number of fields on every line.
        let csv = try CLI.run(["report", "signals", "--format", "csv"], ledger: ledger)
        let lines = csv.stdout.split(separator: "\r\n")
        XCTAssertTrue(lines[0].hasPrefix("section,group,raised"))
        XCTAssertTrue(csv.stderr.contains("--section open"), "the open list has columns of its own")
        XCTAssertEqual(Set(lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).count }).count, 1)
    }

    func testErasureRemovesDerivedWellbeingAndTheLiveModelsStillMatchAReplay() throws {
        let input = String(decoding: try importYear(events: 8_000, seed: 4), as: UTF8.self)
        let measured = input.split(separator: "\n").first { $0.contains("\"wellbeing.measured\"") }!
        let stream = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(measured.utf8)) as! [String: Any])["stream"] as? String)
        let before = digests(try CLI.run(["project"], ledger: ledger).stdout)
        let erased = try CLI.run(["erase", "resident", String(stream.dropFirst("resident-".count)), "--request", "AVG-1"], ledger: ledger)
        assertExit(erased, 0, "1 read-model row removed")
        let after = digests(try CLI.run(["project"], ledger: ledger).stdout)
        XCTAssertNotEqual(before["wellbeing"], after["wellbeing"])
        assertExit(try CLI.run(["replay", "--check"], ledger: ledger), 0, "match the replay")
    }

    /// `buurtboek ARGUMENTS --ledger LEDGER` started in the background, its output discarded.
    private func started(_ arguments: [String]) throws -> Process {
        let p = Process()
        p.executableURL = CLI.binaries.appendingPathComponent("buurtboek")
        p.arguments = arguments + ["--ledger", ledger]
        p.environment = ProcessInfo.processInfo.environment.merging(CLI.environment) { $1 }
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return p
    }

    func testTwoProjectRunsAtOnceApplyEveryEventOnce() throws {
        try importYear(events: 20_000, seed: 8)
        let processes = try (0..<2).map { _ in try started(["project"]) }
        for p in processes { p.waitUntilExit(); XCTAssertEqual(p.terminationStatus, 0) }
        assertExit(try CLI.run(["replay", "--check"], ledger: ledger), 0, "match the replay")
    }

    /// `project --follow` keeps the read models current while other processes append: each
    /// new batch is folded soon after, once, and the models then match a replay.
    func testProjectFollowKeepsTheModelsCurrent() throws {
        let lines = String(decoding: try CLI.year(events: 6_000, seed: 9), as: UTF8.self).split(separator: "\n")
        let (first, second) = (work + "/first.jsonl", work + "/second.jsonl")
        try (lines.prefix(3_000).joined(separator: "\n") + "\n").write(toFile: first, atomically: true, encoding: .utf8)
        try (lines.dropFirst(3_000).joined(separator: "\n") + "\n").write(toFile: second, atomically: true, encoding: .utf8)
        assertExit(try CLI.run(["import", first], ledger: ledger), 0)
        assertExit(try CLI.run(["project", "--follow", "--status"], ledger: ledger), 2, "give one")
        let follower = try started(["project", "--follow"])
        defer { if follower.isRunning { kill(follower.processIdentifier, SIGKILL) } }
        func current(at size: Int) throws -> Bool {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let status = try CLI.run(["project", "--status", "--format", "json"], ledger: ledger).stdout
                if status.contains(#""position":\#(size)"#), !status.contains(#/"behind":[1-9]/#) { return true }
                Thread.sleep(forTimeInterval: 0.2)
            }
            return false
        }
        XCTAssertTrue(try current(at: 3_000), "caught up with the first half")
        assertExit(try CLI.run(["import", second], ledger: ledger), 0)
        XCTAssertTrue(try current(at: 6_000), "folded the second half without being asked")
        XCTAssertTrue(follower.isRunning)
        kill(follower.processIdentifier, SIGINT)
        follower.waitUntilExit()
        assertExit(try CLI.run(["replay", "--check"], ledger: ledger), 0, "match the replay")
    }

    func testAProjectKilledHalfWayLeavesNothingHalfWritten() throws {
        try importYear(events: 60_000, seed: 12)
        var killedMidway = false
        for delay in [0.15, 0.3, 0.6] {
            let p = try started(["project", "--rebuild"])
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if p.terminationReason == .uncaughtSignal { killedMidway = true }
            // Whatever the moment of the kill, the store holds whole transactions only.
            assertExit(try CLI.run(["project"], ledger: ledger), 0)
            assertExit(try CLI.run(["replay", "--check"], ledger: ledger), 0, "match the replay")
        }
        XCTAssertTrue(killedMidway, "no run was caught before it finished")
    }

    func testBadRequestsGetOneLineAndADocumentedCode() throws {
        try importYear(events: 2_000, seed: 2)
        assertExit(try CLI.run(["report", "nosuch"], ledger: ledger), 2, "no report named nosuch")
        assertExit(try CLI.run(["project", "nosuch"], ledger: ledger), 2, "no read model named nosuch")
        assertExit(try CLI.run(["report", "referrals", "--at", "0"], ledger: ledger), 3, "--at 0")
        assertExit(try CLI.run(["report", "referrals", "--at", "99999"], ledger: ledger), 3, "the log holds positions 1 to 2000")
        assertExit(try CLI.run(["report", "referrals", "--as-of", "yesterday"], ledger: ledger), 2, "--as-of yesterday")
        assertExit(try CLI.run(["report", "referrals", "--as-of", "2025-01-01", "--at", "5"], ledger: ledger), 2, "give one")
        assertExit(try CLI.run(["report", "referrals", "--from", "2025-05-01", "--to", "2025-04-01"], ledger: ledger), 2, "lies before")
        assertExit(try CLI.run(["report", "referrals", "--section", "nope"], ledger: ledger), 2, "it has: all, by-service")
        assertExit(try CLI.run(["report", "referrals", "--format", "graphml"], ledger: ledger), 2, "network report only")
        assertExit(try CLI.run(["report", "referrals", "--suppress-below", "0"], ledger: ledger), 2, "1 or more")
        assertExit(try CLI.run(["replay", "--check", "--at", "5"], ledger: ledger), 2, "leave out --at")
        assertExit(try CLI.run(["report", "wellbeing"], ledger: ledger, environment: ["BUURTBOEK_MASTER_KEY_FILE": ""]), 3, "needs the master key")
        let skipped = try CLI.run(["project"], ledger: ledger, environment: ["BUURTBOEK_MASTER_KEY_FILE": ""])
        assertExit(skipped, 0, "wellbeing       skipped")
        assertExit(try CLI.run(["report", "referrals", "--out", "/nonexistent/dir/r.txt"], ledger: ledger), 5, "cannot write")
        assertExit(try CLI.run(["report", "referrals"], ledger: work + "/missing"), 5)
        let listing = try CLI.run(["report"], ledger: ledger)
        assertExit(listing, 0, "neighbourhoods")
        XCTAssertEqual(listing.stdout.split(separator: "\n").count, 9)
    }
}
