import Foundation
import XCTest

/// `buurtboek serve` and the CLI against it: roles on every route, the same output as a local
/// ledger, retries that never double, live follow across a restart, and bad requests that
/// leave the server answering.
final class ServerTests: ServedLedgerTestCase {
    private let contact = #"{"type":"contact.recorded","stream":"contact-srv-1","neighbourhood":"BU00340102","data":{"mode":"drop_in","topics":["money"],"minutes":10}}"#

    /// Every role on every route: the allowed cells answer 2xx, the others 403 with one line;
    /// no token, a wrong one, and a revoked one are 401.
    func testEveryRoleOnEveryRoute() throws {
        // Some cells are allowed and then refused for what they ask (no such member, resident
        // or referral; no checkpoint key): their status says the role passed.
        let bundle = try server.http("GET", "/v1/catalogue", token: try server.token("admin")).body
        let routes: [(method: String, path: String, body: String?, roles: Set<String>, status: Int)] = [
            ("POST", "/v1/events", contact, ["worker"], 200),
            ("GET", "/v1/events?limit=5", nil, ["worker", "auditor"], 200),
            ("GET", "/v1/events/1", nil, ["worker", "auditor"], 200),
            ("GET", "/v1/streams/member-m-admin", nil, ["worker", "auditor"], 200),
            ("GET", "/v1/catalogue", nil, ["worker", "auditor", "admin"], 200),
            ("POST", "/v1/catalogue", bundle, ["admin"], 200),
            ("GET", "/v1/stats", nil, ["worker", "auditor", "admin"], 200),
            ("GET", "/v1/members", nil, ["admin"], 200),
            ("POST", "/v1/members/m-nobody/role?role=worker", nil, ["admin"], 422),
            ("GET", "/v1/reports/referrals", nil, ["analyst"], 200),
            ("GET", "/v1/projections", nil, ["analyst"], 200),
            ("POST", "/v1/projections?names=referrals", nil, ["analyst"], 200),
            ("POST", "/v1/replay?projection=signals", nil, ["analyst", "auditor"], 200),
            ("GET", "/v1/catalogue/history", nil, ["worker", "auditor", "admin"], 200),
            ("POST", "/v1/corrections", #"{"position":99,"action":"void","reason":"r"}"#, ["worker"], 422),
            ("GET", "/v1/verify", nil, ["auditor", "admin"], 200),
            ("GET", "/v1/checkpoints", nil, ["auditor", "admin"], 200),
            ("POST", "/v1/checkpoints", nil, ["admin"], 409),
            ("GET", "/v1/proofs/inclusion?position=1", nil, ["auditor", "admin"], 200),
            ("GET", "/v1/proofs/consistency?old=1", nil, ["auditor", "admin"], 200),
            ("GET", "/v1/audit/referral/referral-none", nil, ["auditor"], 422),
            ("POST", "/v1/erasures", #"{"resident":"R009999","request":"AVG-1"}"#, ["admin"], 422),
        ]
        for route in routes {
            for role in ServedLedger.roles {
                let answer = try server.http(route.method, route.path, token: try server.token(role), body: route.body.map { Data($0.utf8) })
                if route.roles.contains(role) {
                    XCTAssertEqual(answer.status, route.status, "\(role) \(route.method) \(route.path): \(answer.body)")
                } else {
                    XCTAssertEqual(answer.status, 403, "\(role) \(route.method) \(route.path): \(answer.body)")
                    XCTAssertTrue(answer.body.contains("m-\(role) is \(role); this needs the role"), answer.body)
                }
            }
            XCTAssertEqual(try server.http(route.method, route.path, token: nil).status, 401)
            XCTAssertEqual(try server.http(route.method, route.path, token: "bbt_not-a-token").status, 401)
        }
        XCTAssertEqual(try server.http("GET", "/v1/health", token: nil).status, 200)
        XCTAssertTrue(try server.http("GET", "/metrics", token: nil).body.contains("buurtboek_commits_total"))
        // Revoked (here by the local CLI, beside the server): the token stops at once.
        let worker = try server.token("worker")
        assertExit(try CLI.run(["member", "revoke", "m-worker", "--reason", "left"], ledger: ledger), 0)
        XCTAssertEqual(try server.http("GET", "/v1/stats", token: worker).status, 401)
        assertExit(try server.cli(["stats"], as: "worker"), 7, "the token is not valid")
        // Who could do what is in the log.
        let log = try CLI.run(["log", "--type", "member.revoked", "--format", "jsonl"], ledger: ledger)
        XCTAssertTrue(log.stdout.contains(#""stream":"member-m-worker""#), log.stdout)
    }

    /// The remote CLI prints what the local one prints, exits as it exits, and a retry (same
    /// id, or an id-less import run again) appends nothing twice.
    func testTheRemoteCLIBehavesAsTheLocalOne() throws {
        let append = ["append", "contact.recorded", "--stream", "contact-srv-2", "--neighbourhood", "BU00340102",
                      "--field", "mode=home_visit", "--field", "topics=money", "--field", "minutes=45"]
        assertExit(try server.cli(append + ["--id", "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"], as: "worker"), 0, "appended at position 5")
        assertExit(try server.cli(append + ["--id", "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"], as: "worker"), 0, "already recorded at position 5")
        assertExit(try server.cli(append, as: "analyst"), 7, "m-analyst is analyst")
        assertExit(try server.cli(["append", "referral.accepted", "--stream", "referral-none-1"], as: "worker"), 3)
        assertExit(try server.cli(append + ["--expect-version", "none"], as: "worker"), 4)
        // recordedBy is the token's member, whatever a line says.
        let lines = try CLI.year(events: 1_000, seed: 5)
        var stripped: [String] = []
        for line in String(decoding: lines, as: UTF8.self).split(separator: "\n").prefix(300) {
            stripped.append(String(line).replacing(#/"id":"[^"]+",/#, with: "").replacing(#/"recordedBy":"[^"]+",/#, with: ""))
        }
        let idless = Data(stripped.joined(separator: "\n").utf8)
        let file = work + "/year.jsonl"
        try idless.write(to: URL(fileURLWithPath: file))
        let first = try server.cli(["import", file], as: "worker")
        assertExit(first, 0, "300 appended, 0 already recorded, 0 refused")
        assertExit(try server.cli(["import", file], as: "worker"), 0, "0 appended, 300 already recorded")
        // Refused lines are named with their line in the file, shown and written to the rejects file, as locally.
        let bad = work + "/bad.jsonl"
        try Data((contact.replacing("contact-srv-1", with: "contact-srv-9") + "\n\n" + #"{"type":"contact.recorded","stream":"contact-srv-8","data":{"mode":"smoke_signal"}}"# + "\n").utf8)
            .write(to: URL(fileURLWithPath: bad))
        let refused = try server.cli(["import", bad], as: "worker")
        assertExit(refused, 3, "line 3 (contact.recorded, stream contact-srv-8)")
        XCTAssertTrue(refused.stdout.contains("1 appended, 0 already recorded, 1 refused"), refused.stdout)
        let rejects = try String(contentsOfFile: bad + ".rejects.jsonl", encoding: .utf8)
        XCTAssertTrue(rejects.contains(#""line":3"#) && rejects.contains("smoke_signal"), rejects)
        let remote = try server.cli(["log", "--format", "jsonl"], as: "auditor")
        let local = try CLI.run(["log", "--format", "jsonl"], ledger: ledger)
        assertExit(remote, 0)
        XCTAssertEqual(remote.stdout, local.stdout)
        XCTAssertEqual(remote.stdout.split(separator: "\n").count, 306)
        XCTAssertEqual(local.stdout.components(separatedBy: #""recordedBy":"m-worker""#).count - 1, 302, "every event sent names the member")
        XCTAssertEqual(try server.cli(["log", "--type", "tie.formed", "--limit", "3"], as: "worker").stdout,
                       try CLI.run(["log", "--type", "tie.formed", "--limit", "3"], ledger: ledger).stdout)
        let stats = try server.cli(["stats", "--format", "json"], as: "worker").stdout
        XCTAssertEqual(stats.replacing(#/"mapBytesUsed":[0-9]+/#, with: ""),
                       try CLI.run(["stats", "--format", "json"], ledger: ledger).stdout.replacing(#/"mapBytesUsed":[0-9]+/#, with: ""))
        assertExit(try CLI.run(["verify"], ledger: ledger), 0)
        // An analyst's report is built on the server as it is locally; the threshold only rises.
        for report in [["report", "neighbourhoods", "--format", "json"], ["report", "referrals", "--format", "csv", "--from", "2025-01-01"],
                       ["report", "signals", "--section", "open", "--suppress-below", "7"],
                       ["report", "neighbourhoods", "--at", "150"], ["report", "referrals", "--format", "json", "--as-of", "2099-01-01"],
                       ["report", "all", "--format", "json", "--at", "2"]] {
            let remote = try server.cli(report, as: "analyst")
            assertExit(remote, 0)
            XCTAssertEqual(remote.stdout, try CLI.run(report, ledger: ledger).stdout, report.joined(separator: " "))
        }
        for status in [["project", "--status"], ["project", "--status", "referrals", "--format", "json"]] {
            let remote = try server.cli(status, as: "analyst")
            assertExit(remote, 0, "referrals")
            XCTAssertEqual(remote.stdout, try CLI.run(status, ledger: ledger).stdout, status.joined(separator: " "))
        }
        assertExit(try server.cli(["project", "--status"], as: "worker"), 7, "this needs the role analyst")
        assertExit(try server.cli(["report", "referrals", "--suppress-below", "2"], as: "analyst"), 3, "cannot be set lower")
        // What the ledger knew, through the server as locally: a position outside the log is
        // refused (3), a date that is none is the caller's mistake (2), caught before asking.
        assertExit(try server.cli(["report", "referrals", "--at", "99999"], as: "analyst"), 3, "?at 99999: the log holds positions 1 to")
        assertExit(try server.cli(["report", "referrals", "--as-of", "yesterday"], as: "analyst"), 2, "--as-of yesterday")
        assertExit(try server.cli(["report", "referrals"], as: "worker"), 7, "this needs the role analyst")
        XCTAssertEqual(try server.cli(["types", "--format", "json"], as: "auditor").stdout, try CLI.run(["types", "--format", "json"], ledger: ledger).stdout)
        XCTAssertEqual(try server.cli(["types", "referral.made"], as: "worker").stdout, try CLI.run(["types", "referral.made"], ledger: ledger).stdout)
        // verify on the server, for an auditor: the same facts as locally.
        let verified = try server.cli(["verify", "--format", "json"], as: "auditor")
        assertExit(verified, 0)
        XCTAssertEqual(verified.stdout.replacing(#/"seconds":[0-9.]+/#, with: ""),
                       try CLI.run(["verify", "--format", "json"], ledger: ledger).stdout.replacing(#/"seconds":[0-9.]+/#, with: ""))
        assertExit(try server.cli(["verify"], as: "worker"), 7, "this needs the role admin or auditor")
        // Commands that work on a ledger directory only say so (the access record stays on the
        // server's machine).
        assertExit(try server.cli(["access-log"], as: "admin"), 2, "is a team server")
        assertExit(try server.cli(["export"], as: "auditor"), 2, "is a team server")
    }

    /// `log --follow` against the server: the events so far, then new ones as they come; the
    /// server killed and started again, the follower resumes from its last id: no gap, no repeat.
    func testFollowResumesAcrossARestartWithoutGapOrRepeat() throws {
        let follower = Process()
        follower.executableURL = CLI.binaries.appendingPathComponent("buurtboek")
        follower.arguments = ["log", "--follow", "--format", "jsonl", "--ledger", server.url, "--token-file", server.tokenFile("auditor")]
        let out = Pipe()
        follower.standardOutput = out
        follower.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try follower.run()
        defer { follower.terminate(); follower.waitUntilExit() }
        var seen = ""
        func waitFor(_ lines: Int) {
            let deadline = Date().addingTimeInterval(20)
            while seen.split(separator: "\n").count < lines, Date() < deadline {
                seen += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            }
        }
        func append(_ n: Int) throws {
            assertExit(try server.cli(["append", "contact.recorded", "--stream", "contact-follow-\(n)", "--field", "mode=drop_in",
                                       "--field", "topics=money", "--field", "minutes=5"], as: "worker"), 0)
        }
        waitFor(4)  // the four enrolments
        try append(1); try append(2)
        waitFor(6)
        server.stop(signal: SIGKILL)
        // Appended while the server is down (locally), and after it is back.
        assertExit(try CLI.run(["append", "contact.recorded", "--stream", "contact-follow-3", "--field", "mode=drop_in",
                                "--field", "topics=money", "--field", "minutes=5"], ledger: ledger), 0)
        try server.start()
        try append(4)
        waitFor(8)
        let positions = seen.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["position"] as? Int
        }
        XCTAssertEqual(positions, Array(1...8), seen)
    }

    /// Bad requests are answered and the server goes on answering.
    func testBadRequestsNeverStopTheServer() throws {
        let worker = try server.token("worker")
        let mixed = try server.http("POST", "/v1/events", token: worker, body: Data("{not json\n\(contact)\n{\"type\":\"nope.type\",\"stream\":\"x\",\"data\":{}}\n".utf8))
        XCTAssertEqual(mixed.status, 200, mixed.body)
        XCTAssertTrue(mixed.body.contains(#""appended":1"#) && mixed.body.contains(#""refused":2"#), mixed.body)
        XCTAssertEqual(try server.http("POST", "/v1/events", token: worker, body: Data("\n\n".utf8)).status, 400)
        let big = Data(String(repeating: contact + "\n", count: 20_000 * 16 / 1).utf8)
        XCTAssertEqual(try server.http("POST", "/v1/events", token: worker, body: big.prefix(17 << 20)).status, 413)
        let unknown = try server.http("GET", "/v1/nothing-here", token: worker)
        XCTAssertEqual(unknown.status, 404)
        XCTAssertTrue(unknown.body.contains("no route"), unknown.body)
        XCTAssertEqual(try server.http("DELETE", "/v1/events", token: worker).status, 404)
        XCTAssertEqual(try server.http("GET", "/v1/events?from=banana", token: worker).status, 400)
        assertExit(try server.cli(["log", "--type", "referal.made"], as: "worker"), 3, "did you mean referral.made")
        XCTAssertEqual(try server.http("GET", "/v1/stats", token: nil).status, 401)
        // Garbage where a TLS handshake or a request line should be, and a client that says half a request and goes.
        _ = try Shell.run("/bin/bash", ["-c", "head -c 3000 /dev/urandom > /dev/tcp/127.0.0.1/\(server.port); printf 'GET /v1/hea' > /dev/tcp/127.0.0.1/\(server.port)"])
        XCTAssertEqual(try server.http("GET", "/v1/health", token: nil).status, 200)
        assertExit(try CLI.run(["verify"], ledger: ledger), 0)
        // One line per request, in UTC, with its status and time; refusals say why.
        let log = server.log
        XCTAssertNotNil(log.range(of: #"(?m)^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info POST /v1/events 413 \d+\.\dms$"#, options: .regularExpression), log)
        XCTAssertNotNil(log.range(of: #"(?m) info GET /v1/nothing-here 404 \d+\.\dms$"#, options: .regularExpression), log)
        XCTAssertNotNil(log.range(of: #"(?m) warning refused GET /v1/stats: no token"#, options: .regularExpression), log)
    }

    /// Clients that send half a request and then nothing hold no connection past the idle
    /// timeout, and while they hang the server answers everyone else.
    func testSlowClientsAreCutOffAndOthersServed() throws {
        let slow = try ServedLedger(ledger: ledger, work: work + "/slow", extra: ["--idle-timeout", "2"], prefix: "s")
        defer { slow.stop() }
        let script = """
        import socket, sys, time
        port = int(sys.argv[1])
        hanging = []
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST /v1/events HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 500\\r\\n\\r\\n{\\"type\\"")
            hanging.append(s)
        start = time.time()
        other = socket.create_connection(("127.0.0.1", port))
        other.sendall(b"GET /v1/health HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n")
        print("health", other.recv(64).split(b" ")[1].decode(), round(time.time() - start, 1))
        closed = 0
        for s in hanging:
            s.settimeout(20)
            try:
                while s.recv(4096):
                    pass
                closed += 1
            except (socket.timeout, ConnectionResetError):
                closed += 0 if isinstance(sys.exc_info()[1], socket.timeout) else 1
        print("closed", closed, round(time.time() - start, 1))
        """
        let result = try Shell.run("/usr/bin/env", ["python3", "-c", script, slow.port])
        let words = result.stdout.split(whereSeparator: \.isWhitespace).map(String.init)
        XCTAssertEqual(words.count, 6, result.stdout + result.stderr)
        guard words.count == 6 else { return }
        XCTAssertEqual(words[1], "200", "answered while 40 clients hang")
        XCTAssertLessThan(Double(words[2]) ?? 99, 1.5, "at once, not after the hanging ones")
        XCTAssertEqual(words[4], "40", "every hanging connection was closed")
        XCTAssertGreaterThanOrEqual(Double(words[5]) ?? 0, 1.5, "not before the idle timeout")
        XCTAssertLessThan(Double(words[5]) ?? 99, 15, "soon after it")
        XCTAssertEqual(try slow.http("GET", "/v1/health", token: nil).status, 200)
        assertExit(try CLI.run(["verify"], ledger: ledger), 0, "verified 8 events")  // the members only: nothing half-written
    }

    /// A client that trickles its body, never idle long enough for the idle timeout, is cut
    /// off once it falls behind --min-rate; one that sends slowly but at the pace is served,
    /// however long past the grace its request lasts; a head that trickles in (slowloris) has
    /// no more than the idle timeout.
    func testTricklingClientsAreCutOffAtTheirPace() throws {
        let paced = try ServedLedger(ledger: ledger, work: work + "/paced", extra: ["--idle-timeout", "2", "--min-rate", "100"], prefix: "p")
        defer { paced.stop() }
        let body = contact + String(repeating: "\n", count: 900 - contact.utf8.count)
        let script = """
        import socket, sys, threading, time
        port, token, body = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
        head = b"POST /v1/events HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: Bearer " + token.encode() + b"\\r\\nContent-Length: %d\\r\\n\\r\\n"
        results = {}
        def trickle():
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(head % 400)
            start = time.time()
            try:
                for _ in range(400):
                    s.sendall(b" ")
                    time.sleep(0.25)
                results["trickle"] = "finished %.1f" % (time.time() - start)
            except (BrokenPipeError, ConnectionResetError):
                results["trickle"] = "closed %.1f" % (time.time() - start)
        def slowloris():
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /v1/health HTTP/1.1\\r\\nHost: x\\r\\n")
            start = time.time()
            try:
                for _ in range(400):
                    s.sendall(b"X")
                    time.sleep(0.25)
                    s.setblocking(False)
                    try:
                        if s.recv(1) == b"": raise ConnectionResetError
                    except BlockingIOError: pass
                    s.setblocking(True)
                results["slowloris"] = "finished %.1f" % (time.time() - start)
            except (BrokenPipeError, ConnectionResetError):
                results["slowloris"] = "closed %.1f" % (time.time() - start)
        def steady():
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(head % len(body))
            start = time.time()
            for i in range(0, len(body), 30):
                s.sendall(body[i:i + 30])
                time.sleep(0.1)
            answer, until = "", time.time() + 10
            while "appended" not in answer and time.time() < until:
                answer += s.recv(4096).decode()
            results["steady"] = "%s %.1f %s" % (answer.split(" ")[1], time.time() - start, '"status":"appended"' in answer)
        threads = [threading.Thread(target=f) for f in (trickle, steady, slowloris)]
        for t in threads: t.start()
        for t in threads: t.join(60)
        print(results.get("trickle", "hung"), results.get("steady", "hung"), results.get("slowloris", "hung"))
        """
        let result = try Shell.run("/usr/bin/env", ["python3", "-c", script, paced.port, try paced.token("worker"), body])
        let words = result.stdout.split(whereSeparator: \.isWhitespace).map(String.init)
        XCTAssertEqual(words.count, 7, result.stdout + result.stderr)
        guard words.count == 7 else { return }
        XCTAssertEqual(words[0], "closed", "the trickler was cut off: " + result.stdout)
        XCTAssertGreaterThanOrEqual(Double(words[1]) ?? 0, 1.5, "not before the grace")
        XCTAssertLessThan(Double(words[1]) ?? 99, 8, "soon after it, long before its 100 s")
        XCTAssertEqual(words[2], "200", "the steady sender was served: " + result.stdout)
        XCTAssertGreaterThan(Double(words[3]) ?? 0, 2.5, "past the grace")
        XCTAssertEqual(words[4], "True", result.stdout + result.stderr)
        XCTAssertEqual(words[5], "closed", "a head that trickles in was cut off too: " + result.stdout)
        XCTAssertLessThan(Double(words[6]) ?? 99, 8, "soon after the grace: " + result.stdout)
        XCTAssertNotNil(paced.log.range(of: #"warning closed a connection: POST /v1/events sent \d+ bytes of body in \d+ s, slower than --min-rate 100 bytes/s"#, options: .regularExpression), paced.log)
        XCTAssertEqual(try paced.http("GET", "/v1/health", token: nil).status, 200)
    }

    /// kill -9 under load from many clients that retry: every acknowledged event is in the log
    /// exactly once, none is doubled, and verify passes.
    func testKillDashNineUnderLoadLosesAndDoublesNothing() throws {
        let acked = work + "/acked.txt"
        let load = Process()
        load.executableURL = URL(fileURLWithPath: CLI.schemas + "/../Tools/load-server")
        load.arguments = [server.url, server.tokenFile("worker"), "--clients", "16", "--seconds", "4", "--acked", acked]
        load.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try load.run()
        Thread.sleep(forTimeInterval: 1.5)
        server.stop(signal: SIGKILL)
        Thread.sleep(forTimeInterval: 0.5)
        try server.start()
        load.waitUntilExit()
        XCTAssertEqual(load.terminationStatus, 0)
        let ids = try String(contentsOfFile: acked, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertGreaterThan(ids.count, 50)
        XCTAssertEqual(Set(ids).count, ids.count)
        let log = try CLI.run(["log", "--type", "contact.recorded", "--format", "jsonl"], ledger: ledger)
        let logged = log.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String
        }
        XCTAssertEqual(Set(logged).count, logged.count, "no event twice")
        XCTAssertTrue(Set(ids).isSubset(of: Set(logged)), "every acknowledged event is in the log")
        // Each client retries its event until acknowledged, so nothing beyond them was written
        // but the one event per client that may have been in flight at the deadline.
        XCTAssertLessThanOrEqual(logged.count - ids.count, 16)
        assertExit(try CLI.run(["verify"], ledger: ledger), 0)
    }

    /// TLS with a self-signed certificate: the CLI trusts it with --ca-cert and not without;
    /// plain HTTP beyond loopback is refused.
    func testTLSAndTheLoopbackRule() throws {
        server.stop()
        let key = work + "/server.key", cert = work + "/server.pem"
        let made = try Shell.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                                      "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                                                      "-keyout", key, "-out", cert])
        XCTAssertEqual(made.status, 0, made.stderr)
        assertExit(try CLI.run(["serve", "--listen", "0.0.0.0:0"], ledger: ledger), 2, "unencrypted")
        let tls = try ServedLedger(ledger: ledger, work: work + "/tls", extra: ["--tls-cert", cert, "--tls-key", key], prefix: "t")
        defer { tls.stop() }
        XCTAssertTrue(tls.url.hasPrefix("https://"), tls.url)
        let trusted = try CLI.run(["stats", "--ledger", tls.url, "--token-file", tls.tokenFile("worker"), "--ca-cert", cert])
        assertExit(trusted, 0, "events")
        assertExit(try CLI.run(["stats", "--ledger", tls.url, "--token-file", tls.tokenFile("worker")]), 5, "--ca-cert")
    }
}
