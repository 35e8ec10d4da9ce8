import ArgumentParser
import JSON
#if canImport(Glibc)
import Glibc
import TextFormats
#endif

struct GenerateYear: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-year",
        abstract: "Write a seeded, realistic year of neighbourhood activity as Buurtboek JSON Lines.",
        discussion: """
        Forty neighbourhoods (Amsterdam buurtcodes and Ghent sectors) through 2025: networks and
        their partners, residents joining and leaving, consent, contacts, initiatives from proposal
        to christmas market, volunteers, referrals and signals through their lifecycles with
        realistic delays, seasons, weekends, and some entries recorded days late. Every line
        passes `buurtboek import`; the same seed gives the same file, byte for byte.

        --end DAY moves the whole year (every time and date) by whole weeks so that it ends in
        the week before DAY (weekends stay weekends); `--end today` gives a year that ends now.
        --recorded-at adds each event's recording time (its occurredAt, or later for the entries
        recorded late), for `buurtboek import --keep-recorded-at`: a ledger whose recorded-at
        times look like a year of real use, as the demo shows it.

        EXAMPLES
          Tools/generate-year --events 10000 --seed 7 > year.jsonl
          Tools/generate-year --events 1000000 --seed 1 | buurtboek import -
          Tools/generate-year --events 200000 --end today --recorded-at > recent.jsonl
        """)

    @Option(help: "How many events (1,000 to 10,000,000).") var events: Int = 10_000
    @Option(help: "The seed.") var seed: UInt64 = 1
    @Option(help: "End the year in the week before this day (YYYY-MM-DD or today; default: the year is 2025).")
    var end: String?
    @Flag(name: .customLong("recorded-at"), help: "Give each line its recording time (recordedAt).")
    var recordedAt = false

    func validate() throws {
        guard (1_000...10_000_000).contains(events) else { throw ValidationError("--events must be from 1000 to 10000000") }
        if let end, Self.day(end) == nil { throw ValidationError("--end \(end): expected YYYY-MM-DD or today") }
    }

    /// Days since 1970 of YYYY-MM-DD or today.
    static func day(_ text: String) -> Int? {
        if text == "today" { return Int(time(nil) / 86_400) }
        guard let micros = RFC3339.parse(text), text.count == 10 else { return nil }
        return Int(micros / 86_400_000_000)
    }

    func run() {
        var shift = 0
        if let end, let endDay = Self.day(end) {
            // The generated year's last day is 2025-12-31; the year ends the day before --end
            // at the latest, moved by whole weeks.
            let lastDay = Calendar.days(year: 2025, month: 12, day: 31)
            shift = Int(((endDay - 1 - lastDay) as Int).floorDivided(by: 7)) * 7
        }
        World.generate(seed: seed, events: events, shiftDays: shift, withRecordedAt: recordedAt)
    }
}

extension Int {
    func floorDivided(by d: Int) -> Int { self >= 0 ? self / d : -((-self + d - 1) / d) }
}

GenerateYear.main()
