import ArgumentParser

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

        EXAMPLES
          Tools/generate-year --events 10000 --seed 7 > year.jsonl
          Tools/generate-year --events 1000000 --seed 1 | buurtboek import -
        """)

    @Option(help: "How many events (1,000 to 10,000,000).") var events: Int = 10_000
    @Option(help: "The seed.") var seed: UInt64 = 1

    func validate() throws {
        guard (1_000...10_000_000).contains(events) else { throw ValidationError("--events must be from 1000 to 10000000") }
    }

    func run() {
        World(seed: seed, events: events).run()
    }
}

GenerateYear.main()
