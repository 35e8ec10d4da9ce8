import Foundation
import XCTest

/// Small appends are answered on the connection's event loop (the append lane), everything
/// else by the router: the two answer alike, one request at a time per connection, in order.
final class AppendLaneTests: ServedLedgerTestCase {
    private func line(_ stream: String, id: String? = nil) -> String {
        #"{\#(id.map { #""id":"\#($0)","# } ?? "")"type":"contact.recorded","stream":"\#(stream)","data":{"mode":"drop_in","topics":["money"],"minutes":10}}"# + "\n"
    }

    /// Raw HTTP/1.1 bytes to the server in one write; returns all it answers until it closes.
    private func raw(_ requests: String) throws -> String {
        let file = work + "/requests-\(UUID().uuidString)"
        try requests.write(toFile: file, atomically: true, encoding: .utf8)
        let script = "exec 3<>/dev/tcp/127.0.0.1/\(server.port); cat \(file) >&3; timeout 10 cat <&3"
        let result = try Shell.run("/bin/bash", ["-c", script])
        XCTAssertNotEqual(result.status, 124, "the server did not close the connection after Connection: close")
        return result.stdout
    }

    private func post(_ body: String, token: String, chunked: Bool = false, close: Bool = false) -> String {
        let framing = chunked ? "Transfer-Encoding: chunked\r\n\r\n\(String(body.utf8.count, radix: 16))\r\n\(body)\r\n0\r\n\r\n"
                              : "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        return "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/x-ndjson\r\n\(close ? "Connection: close\r\n" : "")\(framing)"
    }

    private func statuses(_ answers: String) -> [Int] {
        answers.matches(of: #/HTTP/1.1 ([0-9]{3})/#).compactMap { Int($0.1) }
    }

    /// Pipelined requests, the lane's and the router's mixed, are answered in the order sent.
    func testPipelinedRequestsAreAnsweredInOrder() throws {
        let worker = try server.token("worker")
        let stats = "GET /v1/stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(worker)\r\n\r\n"
        let answers = try raw(post(line("contact-pipe-1"), token: worker) + stats + post(line("contact-pipe-2"), token: worker, chunked: true)
                              + post("{not json\n", token: worker) + post(line("contact-pipe-3"), token: worker, close: true))
        XCTAssertEqual(statuses(answers), [200, 200, 200, 422, 200], answers)
        let positions = answers.matches(of: #/"position":([0-9]+)/#).compactMap { Int($0.1) }
        XCTAssertEqual(positions, [5, 6, 7], answers)
        let statsAt = try XCTUnwrap(answers.range(of: #""events":5"#), "the stats saw the first append and not the next: \(answers)")
        XCTAssertLessThan(try XCTUnwrap(answers.range(of: #""position":5"#)).lowerBound, statsAt.lowerBound)
        // Connection: close is honoured: the last answer ends the connection (raw returned).
        assertExit(try CLI.run(["verify"], ledger: ledger), 0)
    }

    /// An append answered by the lane and the same answered by the router read alike: the
    /// outcome, a refusal, a conflict, a retry, and a request outside the worker's role.
    func testTheLaneAnswersAsTheRouterDoes() throws {
        let worker = try server.token("worker"), auditor = try server.token("auditor")
        let id = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a01"
        func both(_ body: String, token: String) throws -> (lane: String, routed: String) {
            let answers = try raw(post(body, token: token) + post(body, token: token, chunked: true, close: true))
            let parts = answers.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0) }
            XCTAssertEqual(parts.count, 2, answers)
            func normalised(_ part: String) -> String {
                let status = String(part.prefix(3))
                let body = part.components(separatedBy: "\r\n\r\n").dropFirst().joined().trimmingCharacters(in: .whitespacesAndNewlines)
                return status + " " + body.replacing(#/"position":[0-9]+/#, with: "").replacing(#/"streamVersion":[0-9]+/#, with: "")
                    .replacing(#/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/#, with: "")
            }
            return (normalised(parts.first ?? ""), normalised(parts.last ?? ""))
        }
        let retried = try both(line("contact-same-1", id: id), token: worker)
        XCTAssertTrue(retried.lane.hasPrefix(#"200 {"status":"appended""#), retried.lane)
        XCTAssertTrue(retried.routed.hasPrefix(#"200 {"status":"already_recorded""#), retried.routed)
        let cases = [(line("contact-same-2").replacing("drop_in", with: "telepathy"), worker, "422"),
                     (#"{"type":"contact.recorded","stream":"contact-same-1","expectedVersion":"none","data":{"mode":"drop_in","topics":["money"],"minutes":1}}"# + "\n", worker, "409"),
                     (line("contact-same-3"), auditor, "403"),
                     (line("contact-same-4"), "bbt_nobody", "401")]
        for (body, token, status) in cases {
            let (lane, routed) = try both(body, token: token)
            XCTAssertTrue(lane.hasPrefix(status + " {"), lane)
            XCTAssertEqual(lane, routed)
        }
        let mixed = try both(line("contact-same-5") + "{broken\n", token: worker)
        XCTAssertTrue(mixed.lane.hasPrefix("200 ") && mixed.lane.contains(#""appended":1,"alreadyRecorded":0,"refused":1"#), mixed.lane)
        XCTAssertTrue(mixed.routed.hasPrefix("200 ") && mixed.routed.contains(#""appended":0,"alreadyRecorded":1,"refused":1"#), mixed.routed)
        // Each request, either lane, has its line in the request log.
        XCTAssertEqual(server.log.components(separatedBy: "info POST /v1/events ").count - 1, 12, server.log)
        XCTAssertTrue(server.log.contains("refused POST /v1/events: m-auditor is auditor"), server.log)
    }
}
