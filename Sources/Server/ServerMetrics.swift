import Ledger
import Prometheus

/// The server's counters for Prometheus (/metrics): requests by status, events by outcome,
/// commits (one fsync each) and how long they took.
final class ServerMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let appendedEvents, alreadyRecorded, refusedEvents, commits: Counter
    private let commitSeconds: DurationHistogram
    private let commitEvents: ValueHistogram

    init() {
        appendedEvents = registry.makeCounter(name: "buurtboek_events_appended_total", help: "Events appended to the log.")
        alreadyRecorded = registry.makeCounter(name: "buurtboek_events_already_recorded_total", help: "Retries answered as already recorded.")
        refusedEvents = registry.makeCounter(name: "buurtboek_events_refused_total", help: "Events refused (schema, lifecycle, version).")
        commits = registry.makeCounter(name: "buurtboek_commits_total", help: "Write transactions committed, each ending in one fsync.")
        commitSeconds = registry.makeDurationHistogram(name: "buurtboek_commit_seconds", buckets: [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ], help: "Time from taking a group of appends to their durable commit.")
        commitEvents = registry.makeValueHistogram(name: "buurtboek_commit_events", buckets: [1, 2, 4, 8, 16, 32, 64, 128, 512, 2048, 20000],
                                                   help: "Events per commit (group commit shares one fsync among them).")
    }

    func request(status: Int) {
        registry.makeCounter(name: "buurtboek_http_requests_total", labels: [("status", String(status))],
                             help: "HTTP requests answered, by status.").increment()
    }

    func committed(_ commit: GroupCommit.Commit) {
        commits.increment()
        commitSeconds.recordNanoseconds(Int64(commit.seconds * 1e9))
        commitEvents.record(Double(commit.events))
    }

    func appended(_ outcomes: [AppendOutcome]) {
        for outcome in outcomes {
            switch outcome {
            case .appended: appendedEvents.increment()
            case .alreadyRecorded: alreadyRecorded.increment()
            case .refused: refusedEvents.increment()
            }
        }
    }

    func exposition() -> [UInt8] { registry.emitToBuffer() }
}
