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
        // The import prepares every batch with one catalogue, read again only when a commit
        // finds another in force: then every batch queued behind that one was prepared with
        // the same outdated catalogue and is refused whole too, so preparing them all again,
        // in order, keeps the file's order.
        var inForce = server.ledger.inForce
        var queued: [Queued] = []
        var outdatedCommits = 0
        func enqueue(_ lines: [ArraySlice<UInt8>], _ numbers: [Int]) {
            let prepared = server.prepare(lines, by: member.name, numbers: numbers, with: inForce)
            let receipt = prepared.events.isEmpty ? nil : server.commits.enqueue(prepared.events, validatedBy: prepared.validatedBy)
            queued.append(Queued(receipt: receipt, lines: lines, numbers: numbers, prepared: prepared))
        }
        func settle() async throws {
            let entry = queued.removeFirst()
            let outcomes: [AppendOutcome]
            do { outcomes = try await entry.receipt?.outcomes() ?? [] } catch let outdated as OutdatedCatalogue {
                outdatedCommits += 1
                guard outdatedCommits < OutdatedCatalogue.attempts else { throw outdated.conflict }
                let again = [entry] + queued
                queued.removeAll()
                for behind in again.dropFirst() { _ = try? await behind.receipt?.outcomes() }
                inForce = try server.ledger.refreshCatalogue()
                server.logger.notice("import by \(member.name): catalogue \(inForce.number) came into force; preparing \(again.count) queued batches again")
                for batch in again { enqueue(batch.lines, batch.numbers) }
                return
            }
            server.metrics.appended(outcomes)
            let p = entry.prepared
            for (i, error) in p.refusals { tally.refuse(line: entry.numbers[i], error: error, input: entry.lines[i]) }
            for (k, outcome) in outcomes.enumerated() { tally.add(outcome, line: entry.numbers[p.lines[k]], input: entry.lines[p.lines[k]]) }
        }
        func batch(_ bytes: [UInt8]) async throws {
            let (lines, numbers, count) = Lines.split(bytes, after: lineNumber)
            lineNumber = count
            guard !lines.isEmpty else { return }
            enqueue(lines, numbers)
            while queued.count > Self.batchesAhead { try await settle() }
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
        while !queued.isEmpty { try await settle() }
        guard lineNumber > 0 else { throw Refusal(.badRequest, "no events in the body: send the file, one JSON event per line") }
        return Reply.json(.object(tally.json(lines: lineNumber)))
    }

    /// A batch queued for the group commit, with its lines, kept until its commit is durable
    /// in case it must be prepared again.
    struct Queued {
        let receipt: GroupCommit.Receipt?
        let lines: [ArraySlice<UInt8>]
        let numbers: [Int]
        let prepared: TeamServer.Prepared
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
