import ArgumentParser
import Catalogue
import JSON
import Ledger
import Projections
import Remote
import Reports
import TextFormats

/// The two time dimensions of the analysts' commands: when things happened (--from/--to, on
/// occurredAt) and what the ledger knew (--as-of on recordedAt, --at on position).
struct KnowledgeOptions: ParsableArguments {
    @Option(name: .customLong("as-of"), help: ArgumentHelp("What the ledger knew at the end of this day (or at this instant): events recorded then or before.", valueName: "date"))
    var asOf: String?

    @Option(help: ArgumentHelp("What the ledger knew at this log position.", valueName: "pos"))
    var at: UInt64?

    func validate() throws {
        if asOf != nil && at != nil { throw ValidationError("--as-of and --at both say what the ledger knew: give one") }
    }

    /// The position named, or nil for the head of the log; with the moment it stands for.
    func position(_ projection: Projection) throws -> (position: UInt64, moment: Int64?, label: String)? {
        try knowledge()?.target(projection, option: "--at")
    }

    /// --at and --as-of as a team server's query items (`at=`, `asOf=`); a malformed day is
    /// refused here, as locally, before anything is asked.
    func queryItems() throws -> [String] {
        if let at { return ["at=\(at)"] }
        guard let asOf else { return [] }
        _ = try DateBound.end(asOf, option: "--as-of")
        return ["asOf=\(QueryText.escape(asOf))"]
    }

    /// What --at or --as-of asks for, or nil for the head of the log.
    func knowledge() throws -> Knowledge? {
        if let at { return .position(at) }
        guard let asOf else { return nil }
        return .asOf(asOf, end: try DateBound.end(asOf, option: "--as-of"))
    }
}

struct PeriodOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Only what happened (occurredAt) on or after this day or instant.", valueName: "date"))
    var from: String?

    @Option(help: ArgumentHelp("Only what happened up to and including this day (or before this instant).", valueName: "date"))
    var to: String?

    @Option(name: .customLong("neighbourhood"), help: ArgumentHelp("Only this neighbourhood (repeatable).", valueName: "code"))
    var neighbourhoods: [String] = []

    func bounds() throws -> (from: Int64?, to: Int64?) {
        let f = try from.map { try DateArgument.micros($0, option: "--from") }
        let t = try to.map { try DateBound.end($0, option: "--to") }
        if let f, let t, t <= f { throw CLIError("--to \(to!) lies before --from \(from!)") }
        return (f, t)
    }

    var label: String { ReportRun.scope(from: from, to: to, neighbourhoods: neighbourhoods) }
}

enum DateBound {
    /// The first instant after `text`: the next midnight for a day, the instant itself plus one
    /// microsecond for a date-time (so a bound names the last moment it includes).
    static func end(_ text: String, option: String) throws -> Int64 {
        Knowledge.end(ofDayOrInstant: text, at: try DateArgument.micros(text, option: option))
    }
}

/// Names of read models on the command line.
enum ProjectorNames {
    static func resolve(_ names: [String]) throws -> [any Projector.Type] {
        guard !names.isEmpty else { return Projectors.all }
        return try names.map { name in
            guard let type = Projectors.named(name) else {
                let names = Projectors.all.map { $0.name }
                throw CLIError("no read model named \(name)\(NameSuggestion.hint(name, in: names)) (there are: \(names.joined(separator: ", ")))")
            }
            return type
        }
    }

    static var list: String { Help.list(Projectors.all.map { ($0.name, $0.summary) }) }
}

/// A progress line for folds: events done, rate, time left; only on a terminal.
struct FoldProgress {
    let enabled = Terminal.stderrIsTerminal
    let started = Clock.nowMicros()

    func show(_ done: UInt64, of total: UInt64) {
        guard enabled, total > 0 else { return }
        let seconds = Double(Clock.nowMicros() - started) / 1e6
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let left = rate > 0 ? Double(total - min(done, total)) / rate : 0
        Terminal.writeProgress("\(Terminal.count(done)) of \(Terminal.count(total)) events, \(Terminal.count(Int(rate))) events/s, \(Terminal.twoDecimals(left)) s left")
    }

    func clear() { if enabled { Terminal.writeProgress("") } }
}
