import ArgumentParser
import JSON
#if canImport(Glibc)
import Glibc
import TextFormats
#endif

/// How a command shows facts on a terminal: `--utc` for times, `--wide` for tables.
struct DisplayOptions: ParsableArguments {
    @Flag(help: "Show times in UTC instead of the local time zone ($TZ).")
    var utc = false
    @Flag(help: "Keep table rows on one line each, however wide the terminal.")
    var wide = false

    var width: Int? { Terminal.tableWidth(wide: wide) }
    func time(_ micros: Int64) -> String { TimeText.minutes(micros, utc: utc) }
}

/// Times for people: the ledger stores UTC (and JSON output says it in RFC 3339); a terminal
/// shows the local time with its offset, `2024-03-05 14:30 +01:00`, so a worker reads the
/// hour as it was on their clock, and the offset says which clock that was.
enum TimeText {
    static func minutes(_ micros: Int64, utc: Bool) -> String {
        var seconds = time_t(micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000)
        var parts = tm()
        if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
        let offset = utc ? 0 : Int(parts.tm_gmtoff) / 60
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let sign = offset < 0 ? "-" : "+"
        let hours = Int32(abs(offset) / 60), minutes = Int32(abs(offset) % 60)
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)) \(sign)\(two(hours)):\(two(minutes))"
    }

    /// An RFC 3339 text (as the ledger's JSON has it) for a terminal; other text as it is.
    static func minutes(rfc3339 text: String, utc: Bool) -> String {
        guard let micros = RFC3339.parse(text) else { return text }
        return minutes(micros, utc: utc)
    }
}
