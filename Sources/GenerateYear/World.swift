import JSON
import TextFormats

/// A year of community work, simulated day by day. Each flow starts entities (a referral, a
/// signal, an initiative ...) and schedules their next events on later days, so every stream
/// follows its lifecycle with realistic delays.
final class World {
    typealias Task = (World, Int64) -> Void

    static let days = 365
    /// 2025-01-01 as days since 1970.
    static let firstDay = Calendar.days(year: 2025, month: 1, day: 1)

    var random: SeededRandom
    let emitter: Emitter
    private var agenda: [[Task]] = Array(repeating: [], count: World.days + 1)
    var day = 0
    private var counters: [String: Int] = [:]

    struct Resident {
        let id: String
        let neighbourhood: String
        var network: String
        var member = true
        /// Consents given, with the time they were recorded from.
        var consents: [String: Int64] = [:]
        var nextFree: Int = 0
    }
    var residents: [Resident] = []
    var residentsByNeighbourhood: [[Int]] = Array(repeating: [], count: Vocabulary.neighbourhoods.count)
    var openInitiatives: [[String]] = Array(repeating: [], count: Vocabulary.neighbourhoods.count)
    var openSignals: [[String]] = Array(repeating: [], count: Vocabulary.neighbourhoods.count)
    var networkOrganisations: [[String]] = Array(repeating: [], count: Vocabulary.neighbourhoods.count)

    /// Starts per day, as a multiple of the events asked for: chosen by `generate` so that
    /// the year runs to its end.
    let scale: Double
    let events: Int

    init(seed: UInt64, events: Int, shiftDays: Int = 0, withRecordedAt: Bool = false, scale: Double = 1.6, counting: Bool = false) {
        random = SeededRandom(seed: seed)
        self.scale = scale
        self.events = events
        emitter = Emitter(limit: events, shiftDays: shiftDays, withRecordedAt: withRecordedAt, counting: counting)
    }

    /// Writes the year: exactly `events` lines, ending in the year's last days. The streams a
    /// year holds in all (some end after it) are counted first, without writing, and the
    /// number of starts per day scaled so that the whole year just exceeds `events`: a year cut
    /// off at the limit would otherwise stop in the autumn, and its reports fall off a cliff.
    static func generate(seed: UInt64, events: Int, shiftDays: Int, withRecordedAt: Bool) {
        var scale = 1.6
        for _ in 0..<6 {
            let probe = World(seed: seed, events: events, shiftDays: shiftDays, withRecordedAt: withRecordedAt, scale: scale, counting: true)
            probe.run()
            let counted = probe.emitter.written
            // Enough for the limit to fall in the year's last days: a little over, never under.
            if counted >= events && Double(counted) <= Double(events) * 1.02 { break }
            scale *= Double(events) * 1.01 / Double(max(1, counted))
        }
        World(seed: seed, events: events, shiftDays: shiftDays, withRecordedAt: withRecordedAt, scale: scale).run()
    }

    func schedule(after delay: Int, _ task: @escaping Task) {
        let target = day + max(1, delay)
        if target < World.days { agenda[target].append(task) }
    }

    /// A recording time on the current day: weekdays 08:00-21:00 local (07:00-20:00 UTC).
    func time() -> Int64 {
        let base = Int64(World.firstDay + day) * 86_400_000_000
        return base + Int64(7 * 3600 + random.int(13 * 3600)) * 1_000_000 + Int64(random.int(1_000_000))
    }

    func nextId(_ kind: String, width: Int = 6) -> String {
        let n = (counters[kind] ?? 0) + 1
        counters[kind] = n
        let digits = String(n)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    func worker(_ neighbourhood: Int) -> String {
        // Two or three workers share a neighbourhood, as teams do.
        let team = Vocabulary.workers
        return team[(neighbourhood * 3 + random.int(3)) % team.count]
    }

    func emit(_ type: String, version: Int? = nil, stream: String, _ neighbourhood: Int, at time: Int64, lateBy: Int64 = 0,
              _ data: (inout FieldWriter) -> Void) {
        let id = Emitter.uuidV7(ms: time / 1000, random: &random)
        emitter.emit(type, version: version, id: id, stream: stream, neighbourhood: Vocabulary.neighbourhoods[neighbourhood],
                     worker: worker(neighbourhood), at: time, lateBy: lateBy, data: data)
    }

    /// Sometimes an event is entered days after it happened.
    func lateness(_ share: Double = 0.08) -> Int64 {
        // Never back into the year before: the generated year starts on 1 January.
        guard day > 6, random.chance(share) else { return 0 }
        return Int64(random.int(1...5) * 86_400 + random.int(3600 * 10)) * 1_000_000
    }

    // MARK: Seasons

    /// More happens in spring and December, less in the summer holidays and at weekends.
    func activityLevel() -> Double {
        let (_, month, _) = Calendar.civil(World.firstDay + day)
        let season = [0.8, 0.9, 1.1, 1.25, 1.1, 1.0, 0.6, 0.55, 1.1, 1.1, 1.0, 1.2][month - 1]
        let weekday = (World.firstDay + day + 4) % 7 // 0 = Sunday
        return season * (weekday == 0 ? 0.2 : weekday == 6 ? 0.4 : 1.15)
    }

    var month: Int { Calendar.civil(World.firstDay + day).month }

    // MARK: The year

    func run() {
        let flows = Flows(world: self)
        flows.foundNetworks()
        let target = Double(events) * scale
        // Events each start brings, on average, over its whole life.
        let shares: [(Flows.Kind, Double, Double)] = [
            (.contact, 0.30, 1.0), (.referral, 0.16, 5.0), (.signal, 0.11, 4.5), (.initiative, 0.17, 9.0),
            (.volunteer, 0.09, 8.0), (.resident, 0.12, 3.5), (.tie, 0.05, 1.2),
        ]
        var carry = [Double](repeating: 0, count: shares.count)
        while day < World.days {
            for task in agenda[day] { task(self, time()) }
            agenda[day] = []
            let level = activityLevel()
            for (i, (kind, share, perStart)) in shares.enumerated() {
                carry[i] += target / Double(World.days) * share / perStart * level
                while carry[i] >= 1 {
                    carry[i] -= 1
                    flows.start(kind)
                }
            }
            if !emitter.endDay() { break }
            day += 1
        }
        emitter.flush()
    }
}
