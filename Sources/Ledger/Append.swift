import Catalogue
import LMDB
import JSON
import TextFormats

/// What became of one event given to `append`.
public enum AppendOutcome: Sendable {
    case appended(position: UInt64, streamVersion: UInt64)
    /// The same id with the same content was already in the log: nothing was written.
    case alreadyRecorded(position: UInt64)
    /// Only when not atomic: the event broke a rule that needs the ledger's state.
    case refused(LedgerError)
}

extension AppendOutcome {
    /// As `append --format json` prints it and the server answers each line: status,
    /// position, id (and streamVersion when appended); a refusal's kind and message.
    public func json(id: [UInt8]) -> JSONValue {
        var o = JSONObject()
        switch self {
        case .appended(let position, let version):
            o["status"] = .string("appended")
            o["position"] = .int(Int64(position))
            o["id"] = .string(UUIDText.format(id))
            o["streamVersion"] = .int(Int64(version))
        case .alreadyRecorded(let position):
            o["status"] = .string("already_recorded")
            o["position"] = .int(Int64(position))
            o["id"] = .string(UUIDText.format(id))
        case .refused(let error):
            return Self.refusal(error)
        }
        return .object(o)
    }

    public static func refusal(_ error: LedgerError) -> JSONValue {
        .object(JSONObject([("status", .string("refused")), ("kind", .string(error.kind.name)), ("error", .string(error.message))]))
    }
}

/// Counts outcomes as an import reports them: how many appended (and where the first and last
/// went), how many already recorded. Refusals are the caller's to keep, with their lines.
public struct AppendTally: Sendable {
    public var appended = 0, already = 0
    public var firstPosition: UInt64?
    public var lastPosition: UInt64 = 0

    public init() {}

    /// Counts an outcome; returns the refusal, if it was one.
    public mutating func add(_ outcome: AppendOutcome) -> LedgerError? {
        switch outcome {
        case .appended(let position, _):
            appended += 1
            if firstPosition == nil { firstPosition = position }
            lastPosition = position
        case .alreadyRecorded: already += 1
        case .refused(let error): return error
        }
        return nil
    }
}

extension Ledger {
    public enum BatchMode: Sendable {
        /// All or nothing: the first refusal aborts the batch and is thrown.
        case atomic
        /// Refused events are reported and skipped; the rest are appended.
        case skipRefused
    }

    /// Appends `events` in one write transaction, in order: checked for idempotency, expected
    /// version and lifecycle against the ledger as this transaction sees it (so concurrent
    /// writers from other processes are serialized by LMDB's writer lock), then written with their
    /// index entries and tree hashes. Durable when this returns.
    public func append(_ events: [PreparedEvent], mode: BatchMode = .atomic, validatedBy: UInt32? = nil) throws -> [AppendOutcome] {
        try transaction(mode: mode) { try $0.append(events, validatedBy: validatedBy) }
    }

    /// Prepares events with the catalogue in force and appends them; when another catalogue
    /// was installed meanwhile (by another process, or through the server), reads it and
    /// prepares them again, so they are always validated by the catalogue they are recorded under.
    public func append(preparing prepare: (Catalogue) throws -> [PreparedEvent], mode: BatchMode = .atomic) throws -> [AppendOutcome] {
        var inForce = self.inForce, attempt = 0
        while true {
            attempt += 1
            let events = try prepare(inForce.catalogue)
            let outcomes = try transaction(mode: mode) { appender -> [AppendOutcome]? in
                do { return try appender.append(events, validatedBy: inForce.number) } catch let outdated as OutdatedCatalogue {
                    if attempt == OutdatedCatalogue.attempts { throw outdated.conflict }
                    return nil
                }
            }
            if let outcomes { return outcomes }
            inForce = try refreshCatalogue()
        }
    }

    /// Runs `body` with one write transaction that it may append several batches to: for an
    /// import that must be all or nothing. `body` may be run again from the start when the map
    /// has to grow, so it must produce its batches afresh on every run.
    public func transaction<R>(mode: BatchMode, _ body: (Appender) throws -> R) throws -> R {
        var steps: [UInt64: StepTimes.Entry] = [:]
        let result = try Ledger.wrap {
            try env.write { txn in
                let appender = Appender(writer: try BatchWriter(ledger: self, txn: txn), mode: mode)
                let result: R
                do { result = try body(appender) } catch let outdated as OutdatedCatalogue { throw outdated.conflict }
                try appender.writer.finish()
                steps = appender.writer.pendingSteps
                return result
            }
        }
        // Committed: the steps' times may serve the next transactions' order checks.
        stepTimes.merge(steps)
        return result
    }
}

/// Appends batches inside one write transaction (see `Ledger.transaction`).
public final class Appender {
    var writer: BatchWriter
    let mode: Ledger.BatchMode

    init(writer: BatchWriter, mode: Ledger.BatchMode) {
        self.writer = writer
        self.mode = mode
    }

    /// Appends `events` after those already in this transaction. With `flush`, the tree hashes
    /// and the type and day index entries are written now; without it they wait for
    /// the next flush or the commit: an import that hands over many small chunks per transaction
    /// writes each index block once, not once a chunk.
    ///
    /// `validatedBy` is the number of the catalogue the events were prepared with (by default
    /// the ledger's `catalogueNumber`, right for a process that never refreshes it). When
    /// another catalogue is in force by now, nothing is written and `OutdatedCatalogue` is
    /// thrown, whatever the mode: the events must be prepared again.
    public func append(_ events: [PreparedEvent], flush: Bool = true, validatedBy: UInt32? = nil) throws -> [AppendOutcome] {
        let validatedBy = validatedBy ?? writer.ledger.catalogueNumber
        guard validatedBy == writer.catalogueNumber else { throw OutdatedCatalogue(validatedBy: validatedBy, inForce: writer.catalogueNumber) }
        var outcomes: [AppendOutcome] = []
        outcomes.reserveCapacity(events.count)
        for event in events {
            do {
                outcomes.append(try writer.append(event))
            } catch let error as LedgerError where mode == .skipRefused && error.kind != .storage && error.kind != .integrity {
                outcomes.append(.refused(error))
            }
        }
        if flush { try writer.flushIndexes() }
        return outcomes
    }
}
