import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Ledger
import Membership
import NIOCore

/// POST /v1/import: a whole JSON Lines file as one streamed body. The server reads it as it
/// arrives, prepares it a batch at a time (on every core) and queues each batch for the group
/// commit without waiting for the one before: reading, preparing and committing overlap, and
/// the batches are appended in the file's order, so a file whose later lines depend on earlier
/// ones (a referral made, then accepted) imports as it would locally. Answered once every
/// batch is durable: the counts, the first and last positions, and the refused lines (their
/// line numbers in the file, the rule, the line itself).
struct ImportRoute {
    let server: TeamServer
    static let linesPerBatch = 20_000
    /// Batches queued and not yet committed: bounds the memory a fast sender can make the
    /// server hold.
    static let batchesAhead = 3

    func add(to router: Router<BasicRequestContext>) {
        router.post("/v1/import") { request, _ in try await server.guarded(request, .appendEvents) { try await receive(request, by: $0) } }
    }

    private func receive(_ request: Request, by member: Member) async throws -> Response {
        var tally = Tally()
        var pending: [UInt8] = []
        var lineNumber = 0
        var queued: [(receipt: GroupCommit.Receipt, lines: [Int], inputs: [ArraySlice<UInt8>])] = []
        func settle(_ entry: (receipt: GroupCommit.Receipt, lines: [Int], inputs: [ArraySlice<UInt8>])) async throws {
            let outcomes = try await entry.receipt.outcomes()
            server.metrics.appended(outcomes)
            for (k, outcome) in outcomes.enumerated() { tally.add(outcome, line: entry.lines[k], input: entry.inputs[k]) }
        }
        func batch(_ bytes: [UInt8]) async throws {
            let (lines, numbers, count) = Lines.split(bytes, after: lineNumber)
            lineNumber = count
            guard !lines.isEmpty else { return }
            let (events, at, refusals) = server.prepare(lines, by: member.name, numbers: numbers)
            for (i, error) in refusals { tally.refuse(line: numbers[i], error: error, input: lines[i]) }
            guard !events.isEmpty else { return }
            queued.append((server.commits.enqueue(events), at.map { numbers[$0] }, at.map { lines[$0] }))
            while queued.count > Self.batchesAhead { try await settle(queued.removeFirst()) }
        }
        var newlines = 0
        for try await buffer in request.body {
            let view = buffer.readableBytesView
            newlines += view.count { $0 == 10 }
            pending.append(contentsOf: view)
            if newlines >= Self.linesPerBatch, let cut = pending.lastIndex(of: 10) {
                let rest = Array(pending[(cut + 1)...])
                pending.removeSubrange((cut + 1)...)
                try await batch(pending)
                pending = rest
                newlines = 0
            }
        }
        try await batch(pending)
        for entry in queued { try await settle(entry) }
        guard lineNumber > 0 else { throw Refusal(.badRequest, "no events in the body: send the file, one JSON event per line") }
        return Reply.json(.object(tally.json(lines: lineNumber)))
    }

    struct Tally {
        var counts = AppendTally()
        var refused: [(line: Int, error: LedgerError, input: ArraySlice<UInt8>)] = []

        mutating func add(_ outcome: AppendOutcome, line: Int, input: ArraySlice<UInt8>) {
            if let error = counts.add(outcome) { refuse(line: line, error: error, input: input) }
        }

        mutating func refuse(line: Int, error: LedgerError, input: ArraySlice<UInt8>) { refused.append((line, error, input)) }

        func json(lines: Int) -> JSONObject {
            var o = JSONObject()
            o["lines"] = .int(Int64(lines))
            o["appended"] = .int(Int64(counts.appended))
            o["alreadyRecorded"] = .int(Int64(counts.already))
            o["refused"] = .int(Int64(refused.count))
            o["firstPosition"] = counts.firstPosition.map { .int(Int64($0)) } ?? .null
            o["lastPosition"] = counts.firstPosition == nil ? .null : .int(Int64(counts.lastPosition))
            o["refusals"] = .array(refused.sorted { $0.line < $1.line }.map { r in
                .object(JSONObject([("line", .int(Int64(r.line))), ("kind", .string(r.error.kind.name)),
                                    ("error", .string(r.error.message)), ("input", .string(String(decoding: r.input, as: UTF8.self)))]))
            })
            return o
        }
    }
}
