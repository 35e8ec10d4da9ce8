import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Ledger
import Membership
import NIOCore
import ServiceLifecycle

/// The log over HTTP: append (one event or a JSONL batch, or a correction), read a page,
/// follow as Server-Sent Events. Events travel with the keys of `export` and the import.
struct EventRoutes {
    let server: TeamServer

    func add(to router: Router<BasicRequestContext>) {
        router.post("/v1/events") { request, _ in try await server.guarded(request, .appendEvents) { try await append(request, by: $0) } }
        router.get("/v1/events") { request, _ in try await server.guarded(request, .readEvents) { _ in try page(request) } }
        router.post("/v1/corrections") { request, _ in try await server.guarded(request, .appendEvents) { try await correct(request, by: $0) } }
        router.get("/v1/events/follow") { request, _ in try await server.guarded(request, .followEvents) { _ in try follow(request) } }
    }

    /// Appends the body's lines (one JSON event per line) as the authenticated member, in the
    /// next group commit, and answers per line. One line: 200 (appended or already recorded),
    /// 409 (expected version) or 422 (refused), so a single append reads like one; several:
    /// 200 with each line's outcome (a whole file goes to /v1/import instead).
    func append(_ request: Request, by member: Member) async throws -> Response {
        let body = try await server.body(of: request, advice: "; send the events in smaller batches")
        let (lines, numbers, _) = Lines.split(Array(body.readableBytesView))
        guard !lines.isEmpty else { throw Self.noEvents }
        let (prepared, outcomes) = try await server.append(lines, by: member.name, numbers: numbers, again: Query.string(request, "again") == "true")
        server.metrics.appended(outcomes)
        return Self.answer(lineCount: lines.count, prepared, outcomes).response
    }

    static let noEvents = Refusal(.badRequest, "no events in the body: send one JSON event per line")

    /// What an append of `lineCount` lines answers: one line reads like one append (200,
    /// 409 for an expected version, 422 refused); several, 200 with each line's outcome.
    static func answer(lineCount: Int, _ prepared: TeamServer.Prepared, _ outcomes: [AppendOutcome]) -> Answer {
        var results = [JSONValue?](repeating: nil, count: lineCount)
        for (i, error) in prepared.refusals { results[i] = AppendOutcome.refusal(error) }
        for (k, outcome) in outcomes.enumerated() { results[prepared.lines[k]] = outcome.json(id: prepared.events[k].id) }
        let answered = results.map { $0 ?? .null }
        if lineCount == 1, let only = answered.first?.object {
            let status: HTTPResponse.Status = switch only["kind"]?.string {
            case "conflict": .conflict
            case "refused": .unprocessableContent
            default: .ok
            }
            return Answer(json: .object(only), status: status)
        }
        return Answer(json: .object(Outcome.summary(answered)))
    }

    /// `correct` and `void` through the server: the body is `Correction.Request.json`; the
    /// server reads the fields with the target's schema, seals the reason and appends the
    /// correction in the next group commit, recorded by the member.
    func correct(_ request: Request, by member: Member) async throws -> Response {
        let body = try await server.body(of: request)
        let value: JSONValue
        do { value = try JSONParser().value(Array(body.readableBytesView)) } catch {
            throw Refusal(.badRequest, "the body is not JSON (\(error))")
        }
        let asked = try Correction.Request(json: value)
        let (target, line) = try Correction.line(asked, in: server.ledger)
        let (prepared, outcomes) = try await server.append([line[...]], by: member.name, numbers: [1])
        server.metrics.appended(outcomes)
        if let (_, error) = prepared.refusals.first { throw error }
        if case .refused(let error) = outcomes[0] { throw error }
        return Reply.json(.object(Correction.outcome(outcomes[0], id: prepared.events[0].id, asked, target: target)))
    }

    /// A page of the log: ?from, ?limit (at most 10,000; default 1,000), ?type, ?stream,
    /// ?neighbourhood, ?reverse. JSONL; the header Buurtboek-Next names where the next page starts.
    func page(_ request: Request) throws -> Response {
        var query = try Query.events(request, catalogue: server.ledger.catalogue)
        query.limit = min(try Query.int(request, "limit") ?? 1_000, 10_000)
        var out: [UInt8] = []
        let last = try server.ledger.read { snapshot in
            try query.visitMarked(snapshot) { position, record, mark in
                EventJSON.write(position: position, record: record, leafHash: try snapshot.leafHash(at: position), corrected: mark, into: &out)
                out.append(10)
                return true
            }
        }
        var headers = HTTPFields()
        if let last, !query.reverse { headers[.buurtboekNext] = String(last + 1) }
        return Reply.bytes(out, type: "application/x-ndjson", headers: headers)
    }

    /// The log from ?from (or after the Last-Event-ID a reconnecting client sends), then each
    /// new event as it is committed, as Server-Sent Events whose id is the position: a client
    /// that reconnects with the last id it saw misses none and sees none twice. A comment line
    /// every 15 s keeps proxies from closing a quiet stream; the stream ends when the server
    /// shuts down (the client reconnects to its successor).
    func follow(_ request: Request) throws -> Response {
        var query = try Query.events(request, catalogue: server.ledger.catalogue)
        if let resumed = request.headers[.lastEventID].flatMap({ UInt64($0) }) { query.from = resumed + 1 }
        let ledger = server.ledger
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let start = query
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var query = start
            var quietSince = ContinuousClock.now
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                var out: [UInt8] = []
                var page = query
                page.limit = 500
                let last = try ledger.read { snapshot in
                    try page.visit(snapshot) { position, record in
                        out.append(contentsOf: "id: \(position)\nevent: event\ndata: ".utf8)
                        EventJSON.write(position: position, record: record, leafHash: try snapshot.leafHash(at: position), into: &out)
                        out.append(contentsOf: "\n\n".utf8)
                        return true
                    }
                }
                if let last { query.from = last + 1 }
                if !out.isEmpty {
                    try await writer.write(ByteBuffer(bytes: out))
                    quietSince = .now
                    continue
                }
                if ContinuousClock.now - quietSince > .seconds(15) {
                    try await writer.write(ByteBuffer(string: ": still here\n\n"))
                    quietSince = .now
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            try await writer.finish(nil)
        })
    }
}

extension HTTPField.Name {
    static let buurtboekNext = HTTPField.Name("Buurtboek-Next")!
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}

/// What became of a batch's lines, as JSON: each line's `AppendOutcome.json`, and the counts.
enum Outcome {
    static func summary(_ results: [JSONValue]) -> JSONObject {
        var o = JSONObject()
        let statuses = results.map { $0.object?["status"]?.string ?? "" }
        o["appended"] = .int(Int64(statuses.count { $0 == "appended" }))
        o["alreadyRecorded"] = .int(Int64(statuses.count { $0 == "already_recorded" }))
        o["refused"] = .int(Int64(statuses.count { $0 == "refused" }))
        o["results"] = .array(results)
        return o
    }
}

/// A body's lines: LF-separated, a CR before it and blank lines ignored. Each keeps its number
/// as a file's line (blank lines counted), from `after + 1`; `count` is the last number used.
enum Lines {
    static func split(_ bytes: [UInt8], after: Int = 0) -> (lines: [ArraySlice<UInt8>], numbers: [Int], count: Int) {
        var lines: [ArraySlice<UInt8>] = [], numbers: [Int] = []
        var start = 0, number = after
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 10) ?? bytes.count
            number += 1
            var line = bytes[start..<end]
            if line.last == 13 { line = line.dropLast() }
            if !line.allSatisfy({ $0 == 32 || $0 == 9 }) {
                lines.append(line)
                numbers.append(number)
            }
            start = end + 1
        }
        return (lines, numbers, number)
    }
}
